"""Deadlines and cancellation, with stock grpcio clients and with raw frames (which show the
server's own answer: grpcio enforces deadlines on its side too)."""

import time

import grpc
import pytest

from conftest import WORKFLOW_SERVICE, method_path
from h2_client import RawH2, grpc_messages
from workflow.v1 import workflow_pb2 as pb

WATCH = method_path(WORKFLOW_SERVICE, "WatchLogs")
START = method_path(WORKFLOW_SERVICE, "StartWorkflow")


def header(headers, name):
    return dict(headers).get(name)


def test_calls_with_a_generous_deadline_succeed(stub):
    started = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"step_delay_ms": "0"}), timeout=10)
    events = list(stub.WatchLogs(pb.WatchLogsRequest(workflow_id=started.workflow_id), timeout=10))
    assert events[-1].kind == pb.LOG_EVENT_KIND_WORKFLOW_COMPLETED


def test_an_expired_watch_ends_deadline_exceeded_after_its_events(stub):
    started = stub.StartWorkflow(pb.StartWorkflowRequest(
        type="TEST", params={"jobs": "1", "steps": "1000", "step_delay_ms": "1000"}))
    call = stub.WatchLogs(pb.WatchLogsRequest(workflow_id=started.workflow_id), timeout=1.0)
    received = []
    with pytest.raises(grpc.RpcError) as error:
        for event in call:
            received.append(event)
    assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert received and received[0].kind == pb.LOG_EVENT_KIND_WORKFLOW_STARTED


def test_the_server_ends_an_expired_watch_with_status_4_after_the_events_sent(server, stub):
    started = stub.StartWorkflow(pb.StartWorkflowRequest(
        type="TEST", params={"jobs": "1", "steps": "1000", "step_delay_ms": "1000"}))
    client = RawH2(server.port)
    request = pb.WatchLogsRequest(workflow_id=started.workflow_id).SerializeToString()
    import struct
    stream = client.request(WATCH, struct.pack(">BI", 0, len(request)) + request, headers=[
        ("content-type", "application/grpc"), ("te", "trailers"), ("grpc-timeout", "300m")])
    response = client.wait_ended(stream)
    assert header(response["trailers"], "grpc-status") == "4", response
    events = [pb.LogEvent.FromString(m) for m in grpc_messages(response["data"])]
    assert events and events[0].kind == pb.LOG_EVENT_KIND_WORKFLOW_STARTED
    client.close()


@pytest.mark.parametrize("value", ["1S", "100000000m", "1x", "-1S", "1.5S", "S", ""])
def test_grpc_timeout_values(server, value):
    """Valid values (every unit is covered by the Swift tests) run; malformed ones get INTERNAL."""
    client = RawH2(server.port)
    message = pb.StartWorkflowRequest(type="TEST", params={"step_delay_ms": "0"}).SerializeToString()
    import struct
    stream = client.request(START, struct.pack(">BI", 0, len(message)) + message, headers=[
        ("content-type", "application/grpc"), ("te", "trailers"), ("grpc-timeout", value)])
    response = client.wait_ended(stream)
    status = header(response["trailers"] or response["headers"], "grpc-status")
    assert status == ("0" if value == "1S" else "13"), response
    client.close()


def test_cancelled_watches_release_the_server(stub):
    """Hundreds of live watches cancelled by the client: the server keeps serving, and a new
    watch still sees new events."""
    for _ in range(200):
        call = stub.WatchLogs(pb.WatchLogsRequest(live_only=True))
        call.cancel()
    started = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"step_delay_ms": "0"}))
    events = list(stub.WatchLogs(pb.WatchLogsRequest(workflow_id=started.workflow_id), timeout=10))
    assert events[-1].kind == pb.LOG_EVENT_KIND_WORKFLOW_COMPLETED
