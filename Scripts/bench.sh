#!/usr/bin/env bash
# Side-by-side benchmarks of workflowd and the C++ gRPC reference server, then remote jobs end
# to end (BENCHMARKS.md).
# Usage: Scripts/bench.sh [--tiny] [--runs N] [--servers workflowd,workflowd-sqlite,reference]
# Builds workflowd and workflow-bench (release) and the reference server, client and load
# worker (Benchmarks/Reference, C++ gRPC callback API) and unary_load (libnghttp2), runs Benchmarks/bench.py with the server
# on core 0 and the load generators on core 1 and writes its Markdown table to stdout and to
# .build/bench/results.md, then runs Benchmarks/remote_jobs.py (WorkerService throughput and
# step latency on the SQLite store; it takes only --tiny and --runs) and writes its tables to
# stdout and to .build/bench/remote-jobs.md, then Benchmarks/console_http.py (the console's
# reads over HTTP at 100,000 retained workflows, and SSE fan-out) into .build/bench/console.md,
# then Benchmarks/files_http.py (uploads, and the product workflows on uploaded input) into
# .build/bench/files.md, then Benchmarks/retained_history.py (memory and reads of history with
# 50,000 finished workflows, SQLite beside memory) into .build/bench/history.md.
# --tiny is a quick run that only checks the harnesses work (CI); it uses the debug build the
# tests already made, so its figures mean nothing.
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

python3 Benchmarks/bench.py \
    --workflowd "$bin/workflowd" \
    --workflow-bench "$bin/workflow-bench" \
    --reference-dir .build/bench/reference \
    --servers workflowd,workflowd-sqlite,reference \
    --output .build/bench/results.md \
    "$@"

# Of this script's options, remote_jobs.py takes --tiny and --runs.
remote_jobs_options=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --tiny) remote_jobs_options+=(--tiny) ;;
        --runs) remote_jobs_options+=(--runs "${2:?--runs needs a value}"); shift ;;
        --runs=*) remote_jobs_options+=("$1") ;;
    esac
    shift
done
python3 Benchmarks/remote_jobs.py \
    --workflowd "$bin/workflowd" \
    --reference-dir .build/bench/reference \
    --output .build/bench/remote-jobs.md \
    "${remote_jobs_options[@]}"

# The console's reads with 100,000 workflows retained and SSE fan-out (--tiny: a small run).
console_options=()
[[ $configuration == debug ]] && console_options+=(--tiny)
python3 Benchmarks/console_http.py \
    --workflowd "$bin/workflowd" \
    --output .build/bench/console.md \
    "${console_options[@]}"

# Uploads through the HTTP side port, and imports and exports at 20,000 assets (--tiny: small).
python3 Benchmarks/files_http.py \
    --workflowd "$bin/workflowd" \
    --output .build/bench/files.md \
    "${console_options[@]}"

# 50,000 finished workflows (1,100,000 events): RSS, WAL, GetWorkflow and deep WatchLogs
# starts, with the SQLite store and, for contrast, the memory store (--tiny: small).
exec python3 Benchmarks/retained_history.py \
    --workflowd "$bin/workflowd" \
    --reference-dir .build/bench/reference \
    --output .build/bench/history.md \
    "${console_options[@]}"
