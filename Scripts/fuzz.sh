#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ and runs each for a while.
# Usage: Scripts/fuzz.sh [seconds per target (default 10)] [target...]
# Targets: FuzzDeframer FuzzCodecs FuzzRequests FuzzServerConnection (default: all).
# Corpora live in Fuzz/Corpus/<target> (created, git-ignored); crashes are written to
# Fuzz/Artifacts/<target>/ and make the script fail. Each run ends with libFuzzer's statistics
# (stat::number_of_executed_units is the number of executions).
# FUZZ_CONFIGURATION=release builds optimized (about 15x faster for FuzzServerConnection; use it
# for long runs); the default debug build compiles faster, which is what CI's short runs want.
# FUZZ_RUNS=N stops each target after N executions instead of after the given seconds.
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"

seconds=${1:-10}
shift || true
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(FuzzDeframer FuzzCodecs FuzzRequests FuzzServerConnection)

# swiftc keeps only the last -sanitize= flag, and SwiftPM passes --sanitize=fuzzer and
# --sanitize=address as two: without the combined flag the Swift code gets ASan but no
# coverage instrumentation, and libFuzzer fuzzes blind.
# The fuzz targets reach this package's `package` API through `@testable import`, which needs
# -enable-testing (a release build otherwise refuses it, and a plain import cannot see it).
configuration=${FUZZ_CONFIGURATION:-debug}
swift build -c "$configuration" --scratch-path ".build-fuzz-$configuration" \
    --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing
limit=(-max_total_time="$seconds")
[[ -n "${FUZZ_RUNS:-}" ]] && limit=(-runs="$FUZZ_RUNS")

# Swift's backtracer reports a false use-after-free under ASan.
export SWIFT_BACKTRACE=enable=no
for target in "${targets[@]}"; do
    mkdir -p "Corpus/$target" "Artifacts/$target"
    echo "== $target: ${limit[*]}"
    ".build-fuzz-$configuration/$configuration/$target" "${limit[@]}" -print_final_stats=1 -rss_limit_mb=4096 \
        -artifact_prefix="Artifacts/$target/" "Corpus/$target" 2>&1 \
        | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)|ERROR|SUMMARY|Fatal error|Crash" || true
    if compgen -G "Artifacts/$target/*" > /dev/null; then
        echo "$target: crash inputs in Fuzz/Artifacts/$target" >&2
        exit 1
    fi
done
