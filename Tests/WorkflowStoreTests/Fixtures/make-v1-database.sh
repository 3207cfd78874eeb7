#!/usr/bin/env bash
# Makes v1-workflows.sqlite, the database StoredFixtureTests reads: written by the store as it was
# at commit 040abb2, before enum codes were pinned, so the test proves that a database of that
# format still reads back exactly.
#
# Usage: Tests/WorkflowStoreTests/Fixtures/make-v1-database.sh WORKFLOWD WORKFLOWCTL
#   with both executables built at 040abb2 (git worktree add /tmp/old 040abb2 && cd /tmp/old &&
#   swift build --product workflowd && swift build --product workflowctl).
#
# It runs workflowd with its SQLite store in a temporary data directory, starts workflows that
# complete, fail, get retried (and fail again), get cancelled, import four assets (DEBUG, WARN
# and ERROR steps) and one still running when the server stops (interrupted by the shutdown),
# stops the server with SIGTERM, and checkpoints the WAL into the one file written here.
# Workflow ids, timestamps and how far the cancelled and interrupted workflows got differ from
# run to run: after remaking the file, update what the test pins of them.
set -euo pipefail
workflowd=$(realpath "${1:?usage: $0 WORKFLOWD WORKFLOWCTL}")
workflowctl=$(realpath "${2:?usage: $0 WORKFLOWD WORKFLOWCTL}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
server=
trap '[[ -n $server ]] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

# The server runs in the work directory, so the imported file's path is stored as assets.csv.
cd "$work"
cat > assets.csv <<'CSV'
tag,type,name,links,location,power_kw,flow_m3h
P-101,Pump,Cooling water pump,,Area 100,,120
M-101,Motor,Motor for P-101,P-101,Area 100,15,
M-102,Motor,Spare motor,P-999,Warehouse,11,
P_104,Pump,Bad tag pump,,Area 400,,80
CSV
"$workflowd" --host 127.0.0.1 --port 0 --data-dir data 2> log &
server=$!
port=
for _ in $(seq 100); do
    port=$(grep -o 'server\.port=[0-9]*' log | cut -d= -f2 || true)
    [[ -n $port ]] && break
    sleep 0.1
done
[[ -n $port ]] || { cat log; exit 1; }
ctl() { "$workflowctl" "$1" --address "127.0.0.1:$port" "${@:2}"; }
# Waits for the workflow to end (the exit status is its outcome, not an error here).
follow() { ctl watch "$1" --output json > /dev/null || true; }

completes=$(ctl start TEST --summary completes --user ada --request-id fixture-completes \
    --param jobs=2 --param steps=2 --param step_delay_ms=0)
fails=$(ctl start TEST --summary fails --user bob \
    --param jobs=3 --param steps=2 --param step_delay_ms=0 --param fail_job=2 --param fail_message="disk full")
retried=$(ctl start TEST --summary retried --user ada \
    --param jobs=2 --param steps=4 --param step_delay_ms=0 --param fail_job=1)
cancelled=$(ctl start TEST --summary cancelled --user cy --param jobs=2 --param steps=1000 --param step_delay_ms=100)
imported=$(ctl start IMPORT_ASSETS --summary imported --user ada --param file_path=assets.csv)
follow "$completes"
follow "$fails"
follow "$retried"
ctl retry "$retried" > /dev/null
follow "$retried"
follow "$imported"
sleep 0.35
ctl cancel "$cancelled" --reason "fixture cancel" > /dev/null
follow "$cancelled"
ctl start TEST --summary interrupted --user cy --param jobs=1 --param steps=1000 --param step_delay_ms=100 > /dev/null
sleep 0.35

kill -TERM "$server"
wait "$server"
server=
python3 - data/workflows.sqlite <<'PY'
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
connection.close()
PY
cp data/workflows.sqlite "$here/v1-workflows.sqlite"
ls -l "$here/v1-workflows.sqlite"
