"""Wire-level behaviour checked with raw HTTP/2 frames: non-gRPC requests and flow control."""

import time

from conftest import WORKFLOW_SERVICE, method_path
from h2_client import RawH2, grpc_messages
from workflow.v1 import workflow_pb2 as pb

WATCH = method_path(WORKFLOW_SERVICE, "WatchLogs")
START = method_path(WORKFLOW_SERVICE, "StartWorkflow")


def header(headers, name):
    return dict(headers).get(name)


def test_non_grpc_content_type_gets_415_with_a_body(server):
    client = RawH2(server.port)
    stream = client.request(WATCH, b"{}", headers=[("content-type", "application/json")])
    response = client.wait_ended(stream)
    assert header(response["headers"], ":status") == "415"
    assert len(response["data"]) >= 2
    client.close()


def test_get_gets_405_with_a_body(server):
    client = RawH2(server.port)
    stream = client.request("/", b"", method="GET")
    response = client.wait_ended(stream)
    assert header(response["headers"], ":status") == "405"
    assert len(response["data"]) >= 2
    client.close()


def test_message_split_across_many_data_frames_and_trailers_always_sent(server):
    client = RawH2(server.port)
    message = pb.StartWorkflowRequest(type="TEST", params={"steps": "1", "step_delay_ms": "0"}).SerializeToString()
    import struct
    framed = struct.pack(">BI", 0, len(message)) + message
    stream = client.request(START, b"",
                            headers=[("content-type", "application/grpc"), ("te", "trailers")], end=False)
    for i in range(len(framed)):
        client.conn.send_data(stream, framed[i:i + 1], end_stream=i == len(framed) - 1)
        client.flush()
    response = client.wait_ended(stream)
    assert header(response["trailers"], "grpc-status") == "0"
    [reply] = grpc_messages(response["data"])
    assert pb.StartWorkflowResponse.FromString(reply).status == pb.WORKFLOW_STATUS_RUNNING
    client.close()


def test_a_reader_that_stops_reading_leaves_server_memory_flat(server, stub):
    # A workflow with ~200,000 events, finished and retained before anyone watches it.
    started = stub.StartWorkflow(pb.StartWorkflowRequest(
        type="TEST", params={"jobs": "1", "steps": "100000", "step_delay_ms": "0"}))
    for _ in stub.WatchLogs(pb.WatchLogsRequest(workflow_id=started.workflow_id, min_level=pb.LOG_LEVEL_ERROR), timeout=120):
        pass
    time.sleep(0.5)
    before = server.rss_kib()

    # Five watchers replay it but never read past the first flow-control window.
    readers = [RawH2(server.port) for _ in range(5)]
    request = pb.WatchLogsRequest(workflow_id=started.workflow_id).SerializeToString()
    streams = [reader.grpc_request(WATCH, request) for reader in readers]
    for reader in readers:
        reader.pump(acknowledge=False, timeout=0.5)
    time.sleep(2)
    after = server.rss_kib()
    # Unbounded buffering would hold ~200,000 events (tens of MB) per watcher.
    assert after - before < 20_000, f"server RSS grew from {before} KiB to {after} KiB"

    # The server still serves others, and a stalled reader that resumes gets every event.
    other = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"steps": "1", "step_delay_ms": "0"}))
    assert stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=other.workflow_id)).id == other.workflow_id
    reader, stream = readers[0], streams[0]
    reader.conn.acknowledge_received_data(len(reader.responses[stream]["data"]), stream)
    reader.flush()
    response = reader.wait_ended(stream, timeout=120)
    events = [pb.LogEvent.FromString(m) for m in grpc_messages(response["data"])]
    assert header(response["trailers"], "grpc-status") == "0"
    assert events[-1].kind == pb.LOG_EVENT_KIND_WORKFLOW_COMPLETED
    assert len([e for e in events if e.kind == pb.LOG_EVENT_KIND_STEP_LOGGED]) == 100_000
    for r in readers:
        r.close()
