#!/usr/bin/env bash
# Runs the HTTP/2 conformance suite h2spec against workflowd: the default suite and the strict one
# (--strict adds one case), N times each, against one server (memory store, a free port).
# Usage: Scripts/h2spec.sh [--runs N] [--tls] [--workflowd PATH] [--h2spec PATH] [--timeout SECONDS]
#                          [--verbose] [-- H2SPEC_SECTION...]
#   --runs N        default and strict runs each (default 1)
#   --tls           serve over TLS (a throwaway self-signed certificate made with openssl); h2spec
#                   then connects with TLS and ALPN h2
#   --workflowd     the server binary (default .build/release/workflowd)
#   --h2spec        the h2spec binary (default .build/h2spec/h2spec, built by Scripts/build-h2spec.sh
#                   when missing)
#   --timeout       h2spec's per-case timeout in seconds (-o, default 2)
#   --verbose       pass -v to h2spec (every frame sent and received, in the saved outputs)
#   sections after -- are passed on (e.g. http2/6.9/2 runs that one case)
# Prints each run's summary and every failed case (id as h2spec takes it, its requirement, what it
# expected and what came back), then how often each case failed. Each run's full output and the
# server's log are kept in .build/h2spec/runs/. Exits non-zero if any run failed (a failed case, a
# run with fewer cases than h2spec lists, or workflowd dying).
set -euo pipefail

runs=1
tls=false
workflowd=""
h2spec=""
timeout=2
verbose=()
sections=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --tls) tls=true; shift ;;
        --workflowd) workflowd=$2; shift 2 ;;
        --h2spec) h2spec=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --verbose) verbose=(-v); shift ;;
        --) shift; sections=("$@"); break ;;
        *) echo "usage: $0 [--runs N] [--tls] [--workflowd PATH] [--h2spec PATH] [--timeout SECONDS] [--verbose] [-- SECTION...]" >&2; exit 2 ;;
    esac
done
# Paths given are relative to the caller's directory, the defaults to the repository root.
[[ -n $workflowd ]] && workflowd=$(realpath -m "$workflowd")
[[ -n $h2spec ]] && h2spec=$(realpath -m "$h2spec")
cd "$(dirname "$0")/.."
[[ -n $workflowd ]] || workflowd=.build/release/workflowd
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "h2spec: --runs must be a positive integer" >&2; exit 2; }
[[ -x $workflowd ]] || { echo "h2spec: no workflowd at $workflowd (swift build -c release --product workflowd)" >&2; exit 1; }
if [[ -z $h2spec ]]; then
    h2spec=.build/h2spec/h2spec
    [[ -x $h2spec ]] || h2spec=$(Scripts/build-h2spec.sh | tail -n 1)
fi
[[ -x $h2spec ]] || { echo "h2spec: no h2spec at $h2spec" >&2; exit 1; }

out=.build/h2spec/runs
rm -rf "$out"
mkdir -p "$out"
server_log=$out/workflowd.log

server_tls=()
client_tls=()
if $tls; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \
        -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$out/server.key" -out "$out/server.crt" 2>"$out/openssl.log" \
        || { echo "h2spec: openssl could not make a certificate:" >&2; cat "$out/openssl.log" >&2; exit 1; }
    server_tls=(--tls-cert "$out/server.crt" --tls-key "$out/server.key")
    client_tls=(-t -k)
fi

"$workflowd" --host 127.0.0.1 --port 0 --http-port 0 --store memory "${server_tls[@]}" >"$server_log" 2>&1 &
server_pid=$!
stop_server() {
    kill -TERM "$server_pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}
trap stop_server EXIT

port=""
for _ in $(seq 100); do
    port=$(grep -o 'server\.port=[0-9]*' "$server_log" | head -n 1 | cut -d= -f2 || true)
    [[ -n $port ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -z $port ]]; then
    echo "h2spec: workflowd did not log server.port=; its log:" >&2
    cat "$server_log" >&2
    exit 1
fi
echo "h2spec: $($h2spec --version | head -n 1) against $workflowd (pid $server_pid, port $port$($tls && echo ', TLS')), $runs run(s) each"

# Prints the failed cases of h2spec output $1: "id  description", then h2spec's indented lines
# (the requirement, Expected:, Actual: or Error:).
failed_cases() {
    sed -e 's/\x1b\[[0-9;]*m//g' -e 's/.*\r//' "$1" | awk '
        /^Failures:/ { report = 1; next }
        !report { next }
        /^Finished in / { exit }
        /^Generic tests/ { top = "generic"; next }
        /^Hypertext Transfer Protocol/ { top = "http2"; next }
        /^HPACK/ { top = "hpack"; next }
        /^ *using source address/ { next }
        /^ *× [0-9]+: / {
            line = $0; sub(/^ *× /, "", line)
            number = line; sub(/:.*/, "", number)
            sub(/^[0-9]+: /, "", line)
            printf "    %s/%s/%s  %s\n", top, section, number, line
            indent = $0; sub(/×.*/, "", indent); indent = length(indent) + 2
            incase = 1; next
        }
        /^ *[0-9]+(\.[0-9]+)*\. / {
            line = $0; sub(/^ */, "", line); sub(/\. .*/, "", line)
            section = line; incase = 0; next
        }
        /^ *$/ { incase = 0; next }
        incase { print "        " substr($0, indent + 1) }
    '
}

# The number of cases h2spec would run with the same options.
listed() {
    "$h2spec" --dryrun "$@" -p 1 | grep -cE '^ *[0-9]+: '
}
expected_default=$(listed "${sections[@]}")
expected_strict=$(listed --strict "${sections[@]}")

failures=0
tally=$out/failed-cases.txt
: >"$tally"
for run in $(seq "$runs"); do
    for mode in default strict; do
        options=(-h 127.0.0.1 -p "$port" -o "$timeout" "${client_tls[@]}" "${verbose[@]}")
        expected=$expected_default
        if [[ $mode == strict ]]; then
            options+=(--strict)
            expected=$expected_strict
        fi
        output=$out/$mode-$run.txt
        start=$(date +%s%N)
        status=0
        "$h2spec" "${options[@]}" "${sections[@]}" >"$output" 2>&1 || status=$?
        tenths=$((($(date +%s%N) - start) / 100000000))
        summary=$(grep -E '^[0-9]+ tests, [0-9]+ passed, [0-9]+ skipped, [0-9]+ failed' "$output" | tail -n 1 || true)
        read -r total passed skipped failed <<<"$(echo "$summary" | sed -E 's/^([0-9]+) tests, ([0-9]+) passed, ([0-9]+) skipped, ([0-9]+) failed.*/\1 \2 \3 \4/')"
        verdict=ok
        if [[ -z $summary ]]; then
            verdict="FAILED (no summary line; h2spec exit status $status)"
        elif [[ $status -ne 0 || $passed -ne $expected || $failed -ne 0 || $skipped -ne 0 ]]; then
            verdict="FAILED (h2spec exit status $status, $expected cases listed)"
        fi
        printf 'h2spec %-7s run %d/%d: %s (%d.%d s) %s\n' "$mode" "$run" "$runs" "${summary:-no summary}" \
            $((tenths / 10)) $((tenths % 10)) "$verdict"
        if [[ $verdict != ok ]]; then
            failures=$((failures + 1))
            cases=$(failed_cases "$output")
            if [[ -n $cases ]]; then
                echo "$cases"
                echo "$cases" | grep -E '^    [a-z0-9]+/' | awk -v mode="$mode" '{ print mode, $1 }' >>"$tally"
            else
                echo "    (no failed case listed; the end of $output:)"
                tail -n 5 "$output" | sed 's/^/    /'
            fi
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "h2spec: workflowd (pid $server_pid) died during the $mode run $run; the end of its log:" >&2
            tail -n 20 "$server_log" >&2
            exit 1
        fi
    done
done

if [[ $failures -eq 0 ]]; then
    echo "h2spec: all $runs default ($expected_default/$expected_default) and $runs strict ($expected_strict/$expected_strict) runs passed"
    exit 0
fi
echo "h2spec: $failures of $((2 * runs)) runs FAILED; failures per case (outputs in $out/):"
sort "$tally" | uniq -c | sort -k2,2 -k1,1nr | awk -v runs="$runs" '{ printf "    %-7s %-16s failed in %d of %d runs\n", $2, $3, $1, runs }'
exit 1
