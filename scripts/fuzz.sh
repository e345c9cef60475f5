#!/usr/bin/env bash
# Fuzzes, with libFuzzer, each for SECONDS: the ONNX loader and compiler,
# then the infer request decoder (KServe v2 JSON + binary tensors).
#   scripts/fuzz.sh [SECONDS]        (default 60)
# Configures build-fuzz/ with clang and -DINFERD_FUZZ=ON, builds
# onnx_loader_fuzz and infer_request_fuzz (ASan + UBSan), seeds
# build-fuzz/corpus with small ONNX node-test models and
# build-fuzz/corpus-infer with tests/fuzz/corpus-infer, and runs. Crash
# reproducers land in build-fuzz/crashes/ (loader) and
# build-fuzz/crashes-infer/ (decoder); replay one with:
#   build-fuzz/tests/fuzz/onnx_loader_fuzz build-fuzz/crashes/crash-...
#   build-fuzz/tests/fuzz/infer_request_fuzz build-fuzz/crashes-infer/crash-...
# Extra libFuzzer flags can be given in INFERD_FUZZ_FLAGS; INFERD_FUZZ_RUN=1
# also runs each model that compiles on zero inputs (reaches the kernels).
# INFERD_FUZZ_TARGETS picks the targets (default "onnx infer").
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-60}
BUILD_DIR=${INFERD_FUZZ_BUILD_DIR:-build-fuzz}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DINFERD_FUZZ=ON -DINFERD_WERROR=OFF
fi
TARGETS=${INFERD_FUZZ_TARGETS:-onnx infer}
BUILD_TARGETS=()
for t in $TARGETS; do
  case "$t" in
    onnx) BUILD_TARGETS+=(onnx_loader_fuzz) ;;
    infer) BUILD_TARGETS+=(infer_request_fuzz) ;;
    *) echo "unknown fuzz target '$t' (expected onnx, infer)" >&2; exit 2 ;;
  esac
done
cmake --build "$BUILD_DIR" -j "${INFERD_JOBS:-$(nproc)}" --target "${BUILD_TARGETS[@]}"

if [[ " $TARGETS " == *" onnx "* ]]; then

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
echo "fuzzing the ONNX loader for ${SECONDS_TO_RUN}s with $(ls "$CORPUS" | wc -l) corpus files"
# Leak checks are off: protobuf keeps static state alive on purpose.
ASAN_OPTIONS=detect_leaks=0 \
"$BUILD_DIR/tests/fuzz/onnx_loader_fuzz" "$CORPUS" \
  -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=3072 -malloc_limit_mb=2048 -max_len=16384 \
  -dict=tests/fuzz/onnx.dict -artifact_prefix="$CRASHES/" -print_final_stats=1 ${INFERD_FUZZ_FLAGS:-}
fi

if [[ " $TARGETS " == *" infer "* ]]; then
INFER_CORPUS="$BUILD_DIR/corpus-infer"
INFER_CRASHES="$BUILD_DIR/crashes-infer"
mkdir -p "$INFER_CORPUS" "$INFER_CRASHES"
if [ -z "$(ls -A "$INFER_CORPUS")" ]; then
  cp tests/fuzz/corpus-infer/* "$INFER_CORPUS/"
fi
echo "fuzzing the infer request decoder for ${SECONDS_TO_RUN}s with $(ls "$INFER_CORPUS" | wc -l) corpus files"
# A small malloc limit: the decoder must never allocate much more than the body it reads.
ASAN_OPTIONS=detect_leaks=1 \
"$BUILD_DIR/tests/fuzz/infer_request_fuzz" "$INFER_CORPUS" \
  -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 -max_len=8192 \
  -dict=tests/fuzz/infer.dict -artifact_prefix="$INFER_CRASHES/" -print_final_stats=1 ${INFERD_FUZZ_FLAGS:-}
fi
