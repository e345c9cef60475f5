#!/usr/bin/env bash
# The test command: installs what is missing, builds, generates fixtures and
# runs every test (unit, conformance, real models, hostile input) with ctest.
# Extra arguments go to ctest, e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd "${INFERD_BUILD_DIR:-build}"
ctest --output-on-failure -j "${INFERD_JOBS:-$(nproc)}" "$@"
