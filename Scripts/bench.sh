#!/usr/bin/env bash
# Side-by-side benchmarks of workflowd and the C++ gRPC reference server (BENCHMARKS.md).
# Usage: Scripts/bench.sh [--tiny] [--runs N] [--servers workflowd,workflowd-sqlite,reference]
# Builds workflowd and workflow-bench (release) and the reference server and client
# (Benchmarks/Reference, C++ gRPC callback API), runs Benchmarks/bench.py with the server on
# core 0 and the load generators on core 1, and writes the Markdown table to stdout and to
# .build/bench/results.md. --tiny is a quick run that only checks the harness works (CI); it
# uses the debug build the tests already made, so its figures mean nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-deps.sh --bench
configuration=release
[[ " $* " == *" --tiny "* ]] && configuration=debug
if [[ $(nproc) -lt 2 && $configuration == release ]]; then
    echo "bench: needs 2 cores (server and load generator pinned apart)" >&2
    exit 1
fi
swift build -c "$configuration" --product workflowd
swift build -c "$configuration" --product workflow-bench
bin=$(swift build -c "$configuration" --show-bin-path)
mkdir -p .build/bench
Benchmarks/Reference/build.sh .build/bench/reference

exec python3 Benchmarks/bench.py \
    --workflowd "$bin/workflowd" \
    --workflow-bench "$bin/workflow-bench" \
    --reference-dir .build/bench/reference \
    --servers workflowd,workflowd-sqlite,reference \
    --output .build/bench/results.md \
    "$@"
