#!/usr/bin/env bash
# Installs what is missing, builds workflowd in release mode and runs it on 127.0.0.1:50051.
# Extra arguments go to workflowd, e.g. Scripts/run.sh --port 6000
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
swift build -c release --product workflowd
exec .build/release/workflowd "$@"
