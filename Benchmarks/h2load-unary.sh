#!/usr/bin/env bash
# Unary throughput of a release workflowd (pinned to core 0) under h2load (pinned to core 1):
# GetWorkflow and StartWorkflow, 3 runs each, with the server's CPU time per call from
# /proc/<pid>/stat and the server's own count of the grpc-status it sent.
# Needs: swift build -c release --product workflowd; h2load; .venv from Scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/.build/release/workflowd
mkdir -p Tests/Interop/generated
"$ROOT/.venv/bin/python" -m grpc_tools.protoc -I Protos --python_out=Tests/Interop/generated --grpc_python_out=Tests/Interop/generated Protos/workflow/v1/workflow.proto
$ROOT/.venv/bin/python - <<'PY'
import struct, sys
sys.path.insert(0, 'Tests/Interop/generated')
from workflow.v1 import workflow_pb2 as pb
m = pb.StartWorkflowRequest(type='TEST', params={'jobs': '1', 'steps': '1', 'step_delay_ms': '0'}).SerializeToString()
open('/tmp/start.grpc', 'wb').write(struct.pack('>BI', 0, len(m)) + m)
PY
taskset -c 0 $BIN --port 0 > /tmp/bench-wd.log 2>&1 &
PID=$!
sleep 1
PORT=$(grep -o "server.port=[0-9]*" /tmp/bench-wd.log | cut -d= -f2)
cpu() { awk '{print $14+$15}' /proc/$PID/stat; }
for method in GetWorkflow StartWorkflow; do
  body=/tmp/get.grpc; [ $method = StartWorkflow ] && body=/tmp/start.grpc
  if [ $method = GetWorkflow ]; then
    $ROOT/.venv/bin/python - "$PORT" <<'PY'
import sys, struct; sys.path.insert(0, 'Tests/Interop/generated')
import grpc
from workflow.v1 import workflow_pb2 as pb, workflow_pb2_grpc as g
stub = g.WorkflowServiceStub(grpc.insecure_channel(f'127.0.0.1:{sys.argv[1]}'))
wid = stub.StartWorkflow(pb.StartWorkflowRequest(type='TEST', params={'steps': '3', 'step_delay_ms': '0'})).workflow_id
m = pb.GetWorkflowRequest(workflow_id=wid).SerializeToString()
open('/tmp/get.grpc', 'wb').write(struct.pack('>BI', 0, len(m)) + m)
PY
  fi
  for run in 1 2 3; do
    c0=$(cpu)
    out=$(taskset -c 1 h2load -n 100000 -c 4 -m 32 -d $body -H 'content-type: application/grpc' -H 'te: trailers' http://127.0.0.1:$PORT/workflow.v1.WorkflowService/$method)
    c1=$(cpu)
    rps=$(echo "$out" | grep -o "[0-9.]* req/s" | head -1)
    ok=$(echo "$out" | grep -o "[0-9]* succeeded")
    echo "$method run $run: $rps, $ok, server CPU $(( (c1-c0)*10000/100000 )) us/req"
  done
done
# WatchLogs read by a native client (h2load, one stream): a finished 200,000-event workflow replayed.
"$ROOT/.venv/bin/python" - "$PORT" <<'PY'
import struct, sys
sys.path.insert(0, 'Tests/Interop/generated')
import grpc
from workflow.v1 import workflow_pb2 as pb, workflow_pb2_grpc as g
stub = g.WorkflowServiceStub(grpc.insecure_channel(f'127.0.0.1:{sys.argv[1]}'))
wid = stub.StartWorkflow(pb.StartWorkflowRequest(type='TEST', params={'jobs': '1', 'steps': '100000', 'step_delay_ms': '0'})).workflow_id
for _ in stub.WatchLogs(pb.WatchLogsRequest(workflow_id=wid, min_level=pb.LOG_LEVEL_ERROR)):
    pass
m = pb.WatchLogsRequest(workflow_id=wid).SerializeToString()
open('/tmp/watch.grpc', 'wb').write(struct.pack('>BI', 0, len(m)) + m)
PY
for run in 1 2 3; do
  out=$(taskset -c 1 h2load -n 1 -c 1 -d /tmp/watch.grpc -H 'content-type: application/grpc' -H 'te: trailers' http://127.0.0.1:$PORT/workflow.v1.WorkflowService/WatchLogs)
  ms=$(echo "$out" | grep -o "finished in [0-9.]*[a-z]*" | head -1)
  bytes=$(echo "$out" | grep -o "traffic: [0-9.]*[A-Z]*B ([0-9]*)" | grep -o "([0-9]*)" | tr -d '()')
  echo "WatchLogs replay of 200,004 events run $run: $ms, $bytes bytes"
done
grep VmRSS /proc/$PID/status
kill $PID; wait $PID 2>/dev/null || true
grep -o "server.calls_by_status=[A-Z_=0-9 ]*" /tmp/bench-wd.log
