#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine with the Swift toolchain: installs what is
# missing (Debian packages, a Python venv in .venv), checks the generated code (C and Swift), runs
# the Swift tests, then the interop suite: stock Python grpcio clients, raw HTTP/2 frames,
# h2load and kill-and-restart runs against the real workflowd binary.
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-deps.sh --tests

if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r Tests/Interop/requirements.txt
export WORKFLOW_TEST_PYTHON="$PWD/.venv/bin/python"

Scripts/check-generated.sh

swift build --build-tests
swift test --skip-build

# Each libFuzzer target in Fuzz/ for a few seconds (longer runs: Scripts/fuzz.sh SECONDS).
Scripts/fuzz.sh 5

# The benchmark harness builds and completes a tiny run (figures: Scripts/bench.sh, BENCHMARKS.md).
Scripts/bench.sh --tiny --runs 1

export WORKFLOWD="$PWD/.build/debug/workflowd"
export WORKFLOWCTL="$PWD/.build/debug/workflowctl"
# The service's behaviour again with the in-memory store (the default is the durable one).
WORKFLOWD_STORE=memory .venv/bin/python -m pytest -q Tests/Interop/test_workflow_service.py Tests/Interop/test_control_rpcs.py
.venv/bin/python -m pytest -q Tests/Interop
