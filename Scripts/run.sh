#!/usr/bin/env bash
# Installs what is missing, builds workflowd in release mode and runs it: gRPC on
# 127.0.0.1:50051, the JSON API and the browser console on http://127.0.0.1:8080/.
# Extra arguments go to workflowd, e.g. Scripts/run.sh --port 6000 --http-port 8081
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
swift build -c release --product workflowd

host=127.0.0.1
http_port=8080
scheme=http
arguments=("$@")
for ((index = 0; index < ${#arguments[@]}; index++)); do
    case "${arguments[index]}" in
        --host) host=${arguments[index + 1]:-$host} ;;
        --host=*) host=${arguments[index]#--host=} ;;
        --http-port) http_port=${arguments[index + 1]:-$http_port} ;;
        --http-port=*) http_port=${arguments[index]#--http-port=} ;;
        --tls-cert | --tls-cert=*) scheme=https ;;
    esac
done
case "$http_port" in
    off) echo "The console is off (--http-port off)." ;;
    0) echo "The console's port is picked at start: see server.console_url in the log below." ;;
    *) echo "The console: $scheme://$host:$http_port/" ;;
esac
exec .build/release/workflowd "$@"
