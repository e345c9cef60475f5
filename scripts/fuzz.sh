#!/usr/bin/env bash
# Fuzzes the ONNX loader and compiler with libFuzzer for a bounded time.
#   scripts/fuzz.sh [SECONDS]        (default 60)
# Configures build-fuzz/ with clang and -DINFERD_FUZZ=ON, builds
# onnx_loader_fuzz (ASan + UBSan), seeds build-fuzz/corpus with small ONNX
# node-test models and runs. Crash reproducers land in build-fuzz/crashes/;
# replay one with: build-fuzz/tests/fuzz/onnx_loader_fuzz build-fuzz/crashes/crash-...
# Extra libFuzzer flags can be given in INFERD_FUZZ_FLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-60}
BUILD_DIR=${INFERD_FUZZ_BUILD_DIR:-build-fuzz}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DINFERD_FUZZ=ON -DINFERD_WERROR=OFF
fi
cmake --build "$BUILD_DIR" -j "${INFERD_JOBS:-$(nproc)}" --target onnx_loader_fuzz

CORPUS="$BUILD_DIR/corpus"
CRASHES="$BUILD_DIR/crashes"
mkdir -p "$CORPUS" "$CRASHES"
TESTDATA=/usr/share/libonnx-testdata/data/node
if [ -d "$TESTDATA" ] && [ -z "$(ls -A "$CORPUS")" ]; then
  # Small models only (a few hundred bytes each): fast to mutate.
  find "$TESTDATA" -name model.onnx -size -600c | sort | while read -r f; do
    cp "$f" "$CORPUS/$(basename "$(dirname "$f")").onnx"
  done
fi
echo "fuzzing for ${SECONDS_TO_RUN}s with $(ls "$CORPUS" | wc -l) corpus files"
# Leak checks are off: protobuf keeps static state alive on purpose.
ASAN_OPTIONS=detect_leaks=0 \
"$BUILD_DIR/tests/fuzz/onnx_loader_fuzz" "$CORPUS" \
  -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=3072 -malloc_limit_mb=2048 -max_len=16384 \
  -artifact_prefix="$CRASHES/" -print_final_stats=1 ${INFERD_FUZZ_FLAGS:-}
