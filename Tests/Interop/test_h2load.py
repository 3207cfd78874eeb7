"""h2load drives StartWorkflow; every call's grpc-status is checked on the server, not assumed."""

import re
import shutil
import struct
import subprocess

import grpc

from conftest import WORKFLOW_SERVICE, Server, method_path
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc

CALLS = 2000


def test_h2load_start_workflow_gets_grpc_status_ok_on_every_call(tmp_path):
    assert shutil.which("h2load"), "h2load is missing: Scripts/install-deps.sh --tests installs nghttp2-client"
    server = Server()
    try:
        message = pb.StartWorkflowRequest(
            type="TEST", params={"jobs": "1", "steps": "1", "step_delay_ms": "0"}).SerializeToString()
        body = tmp_path / "start.grpc"
        body.write_bytes(struct.pack(">BI", 0, len(message)) + message)
        run = subprocess.run(
            ["h2load", "-n", str(CALLS), "-c", "4", "-m", "32", "-d", str(body),
             "-H", "content-type: application/grpc", "-H", "te: trailers",
             f"http://{server.address}{method_path(WORKFLOW_SERVICE, 'StartWorkflow')}"],
            capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        assert re.search(rf"{CALLS} succeeded, 0 failed, 0 errored", run.stdout), run.stdout

        # Every call really started a workflow: count WORKFLOW_STARTED events in the log.
        with grpc.insecure_channel(server.address) as channel:
            stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
            newest = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"steps": "0"}))
            started = set()
            call = stub.WatchLogs(pb.WatchLogsRequest(), timeout=60)
            for event in call:
                if event.kind == pb.LOG_EVENT_KIND_WORKFLOW_STARTED:
                    started.add(event.workflow_id)
                if event.workflow_id == newest.workflow_id:
                    call.cancel()
                    break
        assert len(started) == CALLS + 1
    finally:
        log = server.stop()
    # The server's own count of how each call ended.
    match = re.search(r"server\.calls_by_status=((?:[A-Z_]+=\d+ ?)*)", log)
    assert match, log[-2000:]
    counts = dict(pair.split("=") for pair in match.group(1).split())
    # h2load's calls plus the one StartWorkflow above, and the watch the test cancelled (it
    # sends no status; the server counts it CANCELLED, as the client sees it).
    assert counts == {"OK": str(CALLS + 1), "CANCELLED": "1"}
