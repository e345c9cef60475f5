#!/usr/bin/env bash
# The test command: installs what is missing, builds, then runs every test:
# a bounded fuzz run of the loader and of the infer request decoder (plus
# replay of past crashers), and with ctest the unit tests, ONNX conformance,
# real models, hostile input, CLI and registry suites. Arguments go to ctest
# and skip the fuzz run, e.g.
#   scripts/test.sh -L unit
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/setup.sh
scripts/build.sh

if [ $# -eq 0 ]; then
  fuzz_dir="${INFERD_FUZZ_BUILD_DIR:-build-fuzz}"
  # A fixed seed keeps CI repeatable; scripts/fuzz.sh alone explores afresh.
  INFERD_FUZZ_FLAGS="${INFERD_FUZZ_FLAGS:--seed=1}" scripts/fuzz.sh "${INFERD_FUZZ_SECONDS:-60}"
  INFERD_FUZZ_RUN=1 ASAN_OPTIONS=detect_leaks=0 "$fuzz_dir/tests/fuzz/onnx_loader_fuzz" tests/fuzz/regressions/*.onnx
  "$fuzz_dir/tests/fuzz/infer_request_fuzz" tests/fuzz/regressions-infer/*.req
  echo "fuzz: no crash in ${INFERD_FUZZ_SECONDS:-60}s of fuzzing each target and" \
    "$(ls tests/fuzz/regressions/*.onnx tests/fuzz/regressions-infer/*.req | wc -l) replayed regression inputs"
fi

cd "${INFERD_BUILD_DIR:-build}"
ctest --output-on-failure -j "${INFERD_JOBS:-$(nproc)}" "$@"
