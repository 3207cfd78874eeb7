"""SIGTERM stops workflowd cleanly, and a watcher learns how the interrupted workflow ended."""

import grpc

from conftest import Server
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc


def test_sigterm_interrupts_running_workflows_and_exits_zero():
    server = Server()
    with grpc.insecure_channel(server.address) as channel:
        stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
        started = stub.StartWorkflow(pb.StartWorkflowRequest(
            type="TEST", params={"jobs": "3", "steps": "1000", "step_delay_ms": "1000"}))
        call = stub.WatchLogs(pb.WatchLogsRequest(workflow_id=started.workflow_id), timeout=30)
        events = [next(call)]  # WORKFLOW_STARTED: the watch is live
        server.process.terminate()
        try:
            for event in call:
                events.append(event)
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.UNAVAILABLE, error
    server.process.wait(timeout=20)
    assert server.process.returncode == 0
    kinds = [pb.LogEventKind.Name(e.kind) for e in events]
    assert kinds[-1] == "LOG_EVENT_KIND_WORKFLOW_FAILED", kinds
    assert events[-1].error == "interrupted: the server is shutting down"
