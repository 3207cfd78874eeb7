"""Every request field is checked: a bad value gets INVALID_ARGUMENT with a message naming the
field, and a watcher that falls behind retention gets an explicit gap marker."""

import time

import grpc
import pytest

from conftest import WORKFLOW_SERVICE, Server, method_path
from h2_client import RawH2, grpc_messages
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc

WATCH = method_path(WORKFLOW_SERVICE, "WatchLogs")
LONG = "x" * 5000
BAD_REQUESTS = [
    ("StartWorkflow", pb.StartWorkflowRequest(), "type"),
    ("StartWorkflow", pb.StartWorkflowRequest(type="T" * 200), "type"),
    ("StartWorkflow", pb.StartWorkflowRequest(type="TEST", user_id=LONG), "user_id"),
    ("StartWorkflow", pb.StartWorkflowRequest(type="TEST", user_name=LONG), "user_name"),
    ("StartWorkflow", pb.StartWorkflowRequest(type="TEST", summary=LONG * 2), "summary"),
    ("StartWorkflow", pb.StartWorkflowRequest(type="TEST", request_id=LONG), "request_id"),
    ("StartWorkflow", pb.StartWorkflowRequest(type="TEST", params={"": "v"}), "params"),
    ("StartWorkflow", pb.StartWorkflowRequest(type="TEST", params={str(i): "v" for i in range(300)}), "params"),
    ("StartWorkflow", pb.StartWorkflowRequest(type="TEST", params={"steps": "-3"}), "params.steps"),
    ("StartWorkflow", pb.StartWorkflowRequest(type="TEST", params={"step_delay_ms": "soon"}), "params.step_delay_ms"),
    ("GetWorkflow", pb.GetWorkflowRequest(), "workflow_id"),
    ("GetWorkflow", pb.GetWorkflowRequest(workflow_id=LONG), "workflow_id"),
    ("RetryWorkflow", pb.RetryWorkflowRequest(), "workflow_id"),
    ("CancelWorkflow", pb.CancelWorkflowRequest(), "workflow_id"),
    ("CancelWorkflow", pb.CancelWorkflowRequest(workflow_id="wf-1", reason=LONG), "reason"),
    ("ListWorkflows", pb.ListWorkflowsRequest(page_size=-1), "page_size"),
    ("ListWorkflows", pb.ListWorkflowsRequest(statuses=[9]), "statuses"),
    ("ListWorkflows", pb.ListWorkflowsRequest(type=LONG), "type"),
    ("ListWorkflows", pb.ListWorkflowsRequest(created_after_ms=-5), "created_after_ms"),
    ("ListWorkflows", pb.ListWorkflowsRequest(page_token="nope"), "page_token"),
]
BAD_WATCHES = [
    (pb.WatchLogsRequest(min_level=7), "min_level"),
    (pb.WatchLogsRequest(workflow_id=LONG), "workflow_id"),
    (pb.WatchLogsRequest(workflow_type=LONG), "workflow_type"),
    (pb.WatchLogsRequest(user_id=LONG), "user_id"),
    (pb.WatchLogsRequest(job_id=LONG), "job_id"),
    (pb.WatchLogsRequest(entity_tag=LONG), "entity_tag"),
]


@pytest.mark.parametrize("method,request_message,field", BAD_REQUESTS, ids=[f"{m}-{f}" for m, _, f in BAD_REQUESTS])
def test_bad_unary_fields_are_invalid_argument_naming_the_field(stub, method, request_message, field):
    with pytest.raises(grpc.RpcError) as failure:
        getattr(stub, method)(request_message, timeout=10)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT, failure.value.details()
    assert failure.value.details().startswith(field), failure.value.details()


@pytest.mark.parametrize("request_message,field", BAD_WATCHES, ids=[f for _, f in BAD_WATCHES])
def test_bad_watch_fields_are_invalid_argument_naming_the_field(stub, request_message, field):
    with pytest.raises(grpc.RpcError) as failure:
        list(stub.WatchLogs(request_message, timeout=10))
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT, failure.value.details()
    assert failure.value.details().startswith(field), failure.value.details()


def test_a_watcher_that_falls_behind_retention_gets_a_gap_marker_then_the_rest():
    server = Server("--event-retention", "500")
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
            # A stalled reader: it reads one flow-control window, then stops.
            reader = RawH2(server.port, initial_window=1024)
            stream = reader.grpc_request(WATCH, pb.WatchLogsRequest().SerializeToString())
            reader.pump(acknowledge=False, timeout=0.5)
            # Meanwhile 4,000 events happen: far more than the 500 retained.
            started = stub.StartWorkflow(pb.StartWorkflowRequest(
                type="TEST", params={"jobs": "1", "steps": "2000", "step_delay_ms": "0"}))
            for _ in stub.WatchLogs(pb.WatchLogsRequest(workflow_id=started.workflow_id, min_level=pb.LOG_LEVEL_ERROR)):
                pass
            # The reader catches up: it must be told what it missed, then get the rest in order.
            reader.conn.acknowledge_received_data(len(reader.responses[stream]["data"]), stream)
            reader.flush()
            deadline = time.monotonic() + 20
            events = []
            while time.monotonic() < deadline:
                reader.pump(timeout=0.2)
                events = [pb.LogEvent.FromString(m) for m in grpc_messages_prefix(reader.responses[stream]["data"])]
                if any(e.kind == pb.LOG_EVENT_KIND_WORKFLOW_COMPLETED for e in events):
                    break
            gaps = [e for e in events if e.kind == pb.LOG_EVENT_KIND_GAP]
            assert gaps, "a watcher that fell 3,500 events behind a 500-event log must be told"
            # Every sequence from the first (the server was fresh) is either delivered or inside
            # a gap marker's range: nothing skipped silently, nothing twice, in order. The first
            # message may itself be a gap, when the log dropped events before the reader's stream
            # first ran.
            expected = 1
            for event in events:
                if event.kind == pb.LOG_EVENT_KIND_GAP:
                    assert event.gap_from_sequence == expected
                    assert event.gap_to_sequence >= event.gap_from_sequence
                    expected = event.gap_to_sequence + 1
                else:
                    assert event.sequence == expected
                    expected += 1
            assert events[-1].kind == pb.LOG_EVENT_KIND_WORKFLOW_COMPLETED
            reader.close()
    finally:
        server.stop()


def grpc_messages_prefix(data: bytes) -> list[bytes]:
    """The complete gRPC messages at the start of `data` (a stream still in progress)."""
    import struct
    messages, offset = [], 0
    while offset + 5 <= len(data):
        _, length = struct.unpack(">BI", data[offset:offset + 5])
        if offset + 5 + length > len(data):
            break
        messages.append(data[offset + 5:offset + 5 + length])
        offset += 5 + length
    return messages


def test_a_single_workflow_watch_ends_even_when_its_terminal_event_was_pruned():
    server = Server("--event-retention", "300")
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
            watched = stub.StartWorkflow(pb.StartWorkflowRequest(
                type="TEST", params={"jobs": "1", "steps": "200", "step_delay_ms": "1"}))
            reader = RawH2(server.port, initial_window=512)
            request = pb.WatchLogsRequest(workflow_id=watched.workflow_id).SerializeToString()
            stream = reader.grpc_request(WATCH, request)
            reader.pump(acknowledge=False, timeout=0.3)
            for _ in stub.WatchLogs(pb.WatchLogsRequest(workflow_id=watched.workflow_id, min_level=pb.LOG_LEVEL_ERROR)):
                pass
            # Later work pushes the watched workflow's terminal event out of the 300 retained.
            later = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"jobs": "1", "steps": "400", "step_delay_ms": "0"}))
            for _ in stub.WatchLogs(pb.WatchLogsRequest(workflow_id=later.workflow_id, min_level=pb.LOG_LEVEL_ERROR)):
                pass
            reader.conn.acknowledge_received_data(len(reader.responses[stream]["data"]), stream)
            reader.flush()
            response = reader.wait_ended(stream, timeout=20)
            assert response["ended"], "the watch must end, not wait forever for a pruned terminal event"
            assert dict(response["trailers"]).get("grpc-status") == "0"
            events = [pb.LogEvent.FromString(m) for m in grpc_messages(response["data"])]
            assert any(e.kind == pb.LOG_EVENT_KIND_GAP for e in events)
            reader.close()
    finally:
        server.stop()
