"""SIGTERM stops workflowd cleanly, and a watcher learns that the running job was interrupted to resume."""

import grpc

from conftest import WORKFLOW_SERVICE, Server, method_path
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc


def test_sigterm_interrupts_running_jobs_to_resume_and_exits_zero():
    server = Server("--shutdown-grace-period", "0.5")
    with grpc.insecure_channel(server.address) as channel:
        stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
        started = stub.StartWorkflow(pb.StartWorkflowRequest(
            type="TEST", params={"jobs": "3", "steps": "1000", "step_delay_ms": "1000", "max_attempts": "2"}))
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
    assert kinds[-1] == "LOG_EVENT_KIND_JOB_INTERRUPTED", kinds
    assert "LOG_EVENT_KIND_WORKFLOW_FAILED" not in kinds
    assert events[-1].error == "interrupted: the server shut down while attempt 1 ran"
    assert events[-1].job_name == "Fetch" and events[-1].attempt == 1


def _open_unfinished_request(port):
    """A raw connection with one request whose body never ends: busy until the server gives up."""
    import struct

    from h2_client import RawH2
    client = RawH2(port)
    message = pb.StartWorkflowRequest(type="TEST").SerializeToString()
    stream = client.request(method_path(WORKFLOW_SERVICE, "StartWorkflow"), struct.pack(">BI", 0, len(message) + 10) + message,
                            headers=[("content-type", "application/grpc"), ("te", "trailers")], end=False)
    # Wait until the server has processed the request, so a loaded machine cannot deliver the
    # signal before the server has seen the open call.
    assert client.sync()
    return client, stream


def test_sigterm_sends_a_shutdown_notice_then_goaway_with_the_last_stream():
    from h2_client import RawH2
    server = Server()
    client = RawH2(server.port)
    stream = client.grpc_request(method_path(WORKFLOW_SERVICE, "WatchLogs"), pb.WatchLogsRequest(live_only=True).SerializeToString())
    client.pump(timeout=0.5)
    # The server has processed the call before the signal (a loaded machine could reorder them).
    assert client.sync()
    server.process.terminate()
    goaways, trailers = [], None
    for kind, flags, stream_id, payload in client.raw_frames():
        if kind == 0x7:
            goaways.append((int.from_bytes(payload[:4], "big") & 0x7FFFFFFF, int.from_bytes(payload[4:8], "big")))
        elif kind == 0x1 and stream_id == stream and flags & 0x1:
            trailers = payload
    assert goaways == [(2**31 - 1, 0), (stream, 0)], goaways
    assert dict(trailers).get("grpc-status") == "14", trailers
    server.process.wait(timeout=20)
    assert server.process.returncode == 0


def test_sigterm_ends_live_watches_unavailable_and_new_calls_go_elsewhere():
    server = Server()
    with grpc.insecure_channel(server.address) as channel:
        stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
        stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"step_delay_ms": "0"}))
        call = stub.WatchLogs(pb.WatchLogsRequest(), timeout=30)
        first = next(call)
        server.process.terminate()
        last = first
        try:
            for event in call:
                last = event
            raise AssertionError("the watch ended OK")
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.UNAVAILABLE, error
        # A client resumes elsewhere from the last sequence it saw.
        assert last.sequence >= first.sequence
    server.process.wait(timeout=20)
    assert server.process.returncode == 0


def test_a_busy_connection_is_closed_when_the_grace_period_ends():
    import time
    server = Server("--shutdown-grace-period", "1")
    client, _ = _open_unfinished_request(server.port)
    started = time.monotonic()
    server.process.terminate()
    server.process.wait(timeout=20)
    assert server.process.returncode == 0
    assert time.monotonic() - started >= 0.9, "the busy connection was given its grace period"
    client.close()


def test_a_second_signal_exits_at_once():
    import subprocess
    server = Server("--shutdown-grace-period", "120")
    client, _ = _open_unfinished_request(server.port)
    server.process.terminate()
    try:
        server.process.wait(timeout=1.5)
        raise AssertionError("exited before its grace period without a second signal")
    except subprocess.TimeoutExpired:
        pass
    server.process.terminate()
    server.process.wait(timeout=10)
    assert server.process.returncode != 0
    client.close()
