"""The HTTP/1.1 side port: the JSON API and server-sent events against a real workflowd, with
Python's http.client and raw sockets; answers are cross-checked with the gRPC API and with
protobuf's own JSON parser."""
import asyncio
import http.client
import json
import socket
import subprocess
import time
from urllib.parse import urlencode

import grpc
import pytest
from google.protobuf import json_format

from conftest import Server, workflowd_binary
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc as pb_grpc


@pytest.fixture(scope="module")
def http_server():
    server = Server("--http-heartbeat", "0.3")
    yield server
    server.stop()
    assert server.process.returncode == 0


@pytest.fixture(scope="module")
def stub(http_server):
    with grpc.insecure_channel(http_server.address) as channel:
        yield pb_grpc.WorkflowServiceStub(channel)


def call(server: Server, method: str, path: str, body=None, headers=None):
    """One request; returns (status, parsed JSON body or raw text, headers)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    try:
        payload = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        connection.request(method, path, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        data = response.read()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode(errors="replace")
        return response.status, parsed, dict(response.getheaders())
    finally:
        connection.close()


def start(server: Server, **params) -> str:
    status, body, _ = call(server, "POST", "/api/v1/workflows", {"type": "TEST", "params": {k: str(v) for k, v in params.items()}})
    assert status == 200, body
    assert body["status"] == "WORKFLOW_STATUS_RUNNING"
    return body["workflow_id"]


def wait_for(server: Server, workflow_id: str, status: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        code, body, _ = call(server, "GET", f"/api/v1/workflows/{workflow_id}")
        assert code == 200, body
        if body["status"] == status:
            return body
        assert time.monotonic() < deadline, f"{workflow_id} is {body['status']}, not {status}"
        time.sleep(0.02)


class EventStreamReader:
    """A server-sent event stream over a raw socket: (fields) per event, in order. `query` is a
    dict or a list of (name, value) pairs (a repeated field); `headers` are sent too (e.g.
    `Authorization`)."""

    def __init__(self, server: Server, query, last_event_id: str | None = None, headers: dict | None = None):
        self.socket = socket.create_connection(("127.0.0.1", server.http_port), timeout=30)
        request = f"GET /api/v1/events?{urlencode(query)} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        request += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        if last_event_id is not None:
            request += f"Last-Event-ID: {last_event_id}\r\n"
        self.socket.sendall((request + "\r\n").encode())
        self.buffer = b""
        head = self._until(b"\r\n\r\n")
        self.status_line = head.split(b"\r\n")[0].decode()
        self.headers = head.decode().lower()
        self.chunked = "transfer-encoding: chunked" in self.headers
        self.text = b""
        self.comments = 0

    def _until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            data = self.socket.recv(65536)
            if not data:
                raise EOFError(f"closed before {marker!r}: {self.buffer[-200:]!r}")
            self.buffer += data
        head, self.buffer = self.buffer.split(marker, 1)
        return head

    def _more_text(self):
        if not self.chunked:
            data = self.buffer or self.socket.recv(65536)
            self.buffer = b""
            if not data:
                raise EOFError("stream closed")
            self.text += data
            return
        size = int(self._until(b"\r\n").split(b";")[0], 16)
        if size == 0:
            raise EOFError("stream ended")
        while len(self.buffer) < size + 2:
            data = self.socket.recv(65536)
            if not data:
                raise EOFError("closed inside a chunk")
            self.buffer += data
        self.text += self.buffer[:size]
        self.buffer = self.buffer[size + 2:]

    def next_event(self) -> dict:
        """The next event's fields (`id`, `event`, `data` parsed as JSON); comments are counted."""
        while True:
            while b"\n\n" not in self.text:
                self._more_text()
            block, self.text = self.text.split(b"\n\n", 1)
            fields = {}
            for line in block.decode().split("\n"):
                if line.startswith(":"):
                    self.comments += 1
                elif ":" in line:
                    name, value = line.split(":", 1)
                    fields[name] = value[1:] if value.startswith(" ") else value
            if "data" in fields:
                fields["data"] = json.loads(fields["data"])
                return fields

    def close(self):
        self.socket.close()


# MARK: JSON API


def test_start_get_and_list_answer_what_grpc_answers_in_protobufs_json_mapping(http_server, stub):
    workflow_id = start(http_server, steps=2, step_delay_ms=0)
    finished = wait_for(http_server, workflow_id, "WORKFLOW_STATUS_COMPLETED")
    over_grpc = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id))
    # protobuf's own parser reads our JSON into the same message gRPC sends.
    assert json_format.Parse(json.dumps(finished), pb.Workflow()) == over_grpc
    assert finished["jobs"][0]["steps"][0]["entity"]["tag"].startswith("ITEM-")
    assert finished["stats"]["duration_ms"].isdigit(), "64-bit integers are strings"

    status, listed, headers = call(http_server, "GET", "/api/v1/workflows?type=TEST&statuses=WORKFLOW_STATUS_COMPLETED")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert workflow_id in [workflow["id"] for workflow in listed["workflows"]]
    assert all(workflow["status"] == "WORKFLOW_STATUS_COMPLETED" for workflow in listed["workflows"])


def test_paging_visits_every_workflow_once_and_filters_apply(http_server):
    user = f"pager-{time.monotonic_ns()}"
    started = set()
    for index in range(7):
        status, body, _ = call(http_server, "POST", "/api/v1/workflows",
                               {"type": "TEST", "user_id": user, "params": {"steps": "0"}})
        assert status == 200, body
        started.add(body["workflow_id"])
    seen = []
    token = ""
    while True:
        query = urlencode({"user_id": user, "page_size": 3, **({"page_token": token} if token else {})})
        status, page, _ = call(http_server, "GET", f"/api/v1/workflows?{query}")
        assert status == 200, page
        assert len(page["workflows"]) <= 3
        seen += [workflow["id"] for workflow in page["workflows"]]
        token = page["next_page_token"]
        if not token:
            break
    assert sorted(seen) == sorted(started) and len(seen) == len(set(seen))
    status, page, _ = call(http_server, "GET", f"/api/v1/workflows?{urlencode({'user_id': user, 'type': 'NO_SUCH_TYPE'})}")
    assert status == 200 and page["workflows"] == []


def test_retry_and_cancel_act_and_answer_like_their_rpcs(http_server):
    failing = start(http_server, jobs=2, steps=1, step_delay_ms=0, fail_job=2, fail_attempts=1, fail_message="boom")
    failed = wait_for(http_server, failing, "WORKFLOW_STATUS_FAILED")
    assert failed["failed_job_name"] == "Process" and "boom" in failed["error"]
    status, retried, _ = call(http_server, "POST", f"/api/v1/workflows/{failing}/retry")
    assert status == 200, retried
    assert retried["attempt"] == 2 and retried["job_name"] == "Process"
    wait_for(http_server, failing, "WORKFLOW_STATUS_COMPLETED")

    running = start(http_server, steps=1000, step_delay_ms=50)
    status, cancelled, _ = call(http_server, "POST", f"/api/v1/workflows/{running}/cancel", {"reason": "from the browser"})
    assert status == 200, cancelled
    assert cancelled["workflow_id"] == running and cancelled["status"] in ("WORKFLOW_STATUS_RUNNING", "WORKFLOW_STATUS_CANCELLED")
    wait_for(http_server, running, "WORKFLOW_STATUS_CANCELLED")
    status, again, _ = call(http_server, "POST", f"/api/v1/workflows/{running}/retry")
    assert status == 400 and again["status"] == "FAILED_PRECONDITION", again


@pytest.mark.parametrize("method,path,body,http_status,grpc_status,message", [
    ("GET", "/api/v1/workflows/wf-none", None, 404, "NOT_FOUND", "wf-none"),
    ("POST", "/api/v1/workflows", b"{not json", 400, "INVALID_ARGUMENT", "the request body is not JSON: byte 1"),
    ("POST", "/api/v1/workflows", b"[1]", 400, "INVALID_ARGUMENT", "must be a JSON object"),
    ("POST", "/api/v1/workflows", {"type": 7}, 400, "INVALID_ARGUMENT", "type: expected a string, got a number"),
    ("POST", "/api/v1/workflows", {"type": "TEST", "typo": 1}, 400, "INVALID_ARGUMENT", "typo: workflow.v1.StartWorkflowRequest has no such field"),
    ("POST", "/api/v1/workflows", {"type": "NO_SUCH_TYPE"}, 400, "INVALID_ARGUMENT", "NO_SUCH_TYPE"),
    ("POST", "/api/v1/workflows", {"type": "TEST", "user_id": "a", "userId": "b"}, 400, "INVALID_ARGUMENT", "given twice"),
    ("GET", "/api/v1/workflows?statuses=RUNNING", None, 400, "INVALID_ARGUMENT", "unknown value RUNNING; expected one of WORKFLOW_STATUS_UNSPECIFIED"),
    ("GET", "/api/v1/workflows?page_size=ten", None, 400, "INVALID_ARGUMENT", "page_size: ten is not an integer"),
    ("GET", "/api/v1/workflows?page_token=garbage", None, 400, "INVALID_ARGUMENT", "page_token"),
    ("GET", "/api/v1/workflows?page_size=%ZZ", None, 400, "INVALID_ARGUMENT", "not valid percent-encoded"),
    ("POST", "/api/v1/workflows/wf-a/cancel", {"workflow_id": "wf-b"}, 400, "INVALID_ARGUMENT", "differs"),
    ("GET", "/api/v1/events?after_sequence=99999999", None, 400, "OUT_OF_RANGE", "ahead of the newest event"),
    ("GET", "/api/v1/events?min_level=LOUD", None, 400, "INVALID_ARGUMENT", "min_level: unknown value LOUD"),
    ("GET", "/api/v1/events?kinds=LOG_EVENT_KIND_UNSPECIFIED", None, 400, "INVALID_ARGUMENT", "kinds: unknown log event kind 0"),
    ("GET", "/api/v1/events?kinds=STEP", None, 400, "INVALID_ARGUMENT", "kinds[0]: unknown value STEP"),
    ("GET", "/api/v1/workflows/wf-none/steps", None, 404, "NOT_FOUND", "wf-none"),
    ("GET", "/api/v1/workflows/wf-none/steps?page_size=1001", None, 400, "INVALID_ARGUMENT", "page_size: must be from 1 to 1000"),
    ("GET", "/api/v1/workflows/wf-none/steps?min_level=LOG_LEVEL_LOUD", None, 400, "INVALID_ARGUMENT", "min_level"),
    ("GET", "/api/v1/workflows/wf-none/steps?before_sequence=-1", None, 400, "INVALID_ARGUMENT", "before_sequence"),
    ("GET", "/api/v1/workflow-counts?created_after_ms=5&created_before_ms=5", None, 400, "INVALID_ARGUMENT", "created_before_ms"),
    ("GET", "/api/v1/workflow-counts?statuses=WORKFLOW_STATUS_FAILED", None, 400, "INVALID_ARGUMENT", "statuses: workflow.v1.CountWorkflowsRequest has no such field"),
    ("GET", "/console/secret.txt", None, 404, "NOT_FOUND", "the console has no file secret.txt"),
])
def test_bad_input_gets_the_rpcs_status_as_an_http_status_and_a_json_error(http_server, method, path, body, http_status, grpc_status, message):
    status, error, headers = call(http_server, method, path, body)
    assert status == http_status, error
    assert headers["Content-Type"] == "application/json"
    assert error["status"] == grpc_status and isinstance(error["code"], int), error
    assert message in error["message"], error


def test_without_authentication_the_api_answers_only_requests_addressed_to_loopback(http_server):
    # A page whose name was rebound to 127.0.0.1 (DNS rebinding) addresses it by that name.
    for host in ("evil.example", "evil.example:8080", "10.0.0.1", "127.0.0.1.evil.example"):
        for method, path, body in (("GET", "/api/v1/workflows", None), ("POST", "/api/v1/workflows", {"type": "TEST"}),
                                   ("GET", "/api/v1/events?live_only=true", None)):
            status, answer, _ = call(http_server, method, path, body, headers={"Host": host})
            assert status == 403 and "addressed to localhost, 127.0.0.1 or ::1" in answer["message"], (host, path, answer)
    for host in ("localhost", f"localhost:{http_server.http_port}", f"127.0.0.1:{http_server.http_port}", "127.1.2.3", "[::1]:80"):
        status, answer, _ = call(http_server, "GET", "/api/v1/workflows?page_size=1", headers={"Host": host})
        assert status == 200, (host, answer)
    status, _, _ = call(http_server, "GET", "/healthz", headers={"Host": "evil.example"})
    assert status == 200, "probes and the console's files are not the API"


def test_a_body_over_the_limit_and_an_unknown_route_get_json_errors(http_server):
    status, error, headers = call(http_server, "POST", "/api/v1/workflows", b'{"type":"' + b"x" * (5 << 20) + b'"}')
    assert status == 413 and headers["Content-Type"] == "application/json", error
    assert error["status"] == "RESOURCE_EXHAUSTED" and "larger than 4194304 bytes" in error["message"], error
    status, error, headers = call(http_server, "GET", "/api/v1/nothing-here")
    assert status == 404 and error["status"] == "NOT_FOUND" and "/api/v1/nothing-here" in error["message"], error


def test_a_second_server_on_a_taken_http_port_exits_with_the_reason(http_server):
    result = subprocess.run(
        [str(workflowd_binary()), "--port", "0", "--http-port", str(http_server.http_port), "--store", "memory"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "Address already in use" in result.stdout + result.stderr, result.stdout + result.stderr


def test_a_long_log_reads_in_windows_that_join_with_the_live_stream(http_server, stub):
    """The console's way into a workflow: the tree without steps and the sequence it reflects,
    the log's newest window, older windows, then events after that sequence: every step once."""
    workflow_id = start(http_server, jobs=2, steps=60, step_delay_ms=5)
    while True:
        status, tree, _ = call(http_server, "GET", f"/api/v1/workflows/{workflow_id}?omit_steps=true")
        assert status == 200, tree
        if sum(job["step_count"] for job in tree["jobs"]) >= 10:
            break
        time.sleep(0.01)
    assert all(job["steps"] == [] for job in tree["jobs"])
    as_of = int(tree["as_of_sequence"])
    assert as_of > 0

    window, before = [], as_of + 1
    while True:
        status, page, _ = call(http_server, "GET", f"/api/v1/workflows/{workflow_id}/steps?before_sequence={before}&page_size=4")
        assert status == 200, page
        sequences = [int(step["sequence"]) for step in page["steps"]]
        assert sequences == sorted(sequences) and all(sequence <= as_of for sequence in sequences)
        assert all(step["kind"] == "LOG_EVENT_KIND_STEP_LOGGED" and step["workflow_id"] == workflow_id for step in page["steps"])
        window = page["steps"] + window
        if not page["has_more"]:
            break
        before = sequences[0]
    assert len(window) == sum(job["step_count"] for job in tree["jobs"])

    live = EventStreamReader(http_server, {"workflow_id": workflow_id, "after_sequence": as_of, "kinds": "LOG_EVENT_KIND_STEP_LOGGED"})
    while True:
        event = live.next_event()
        if event.get("event") == "end":
            break
        window.append(event["data"])
    live.close()
    steps = [event for event in window if event["kind"] == "LOG_EVENT_KIND_STEP_LOGGED"]
    final = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id))
    assert [step["step"]["id"] for step in steps] == [step.id for job in final.jobs for step in job.steps]
    assert [event["kind"] for event in window if event not in steps] == ["LOG_EVENT_KIND_WORKFLOW_COMPLETED"]


def test_counts_and_the_summary_filter_match_what_the_list_holds(http_server):
    marker = f"Gold-{time.monotonic_ns()}"
    ids = []
    for summary, fail in [(f"Import {marker} mine", False), (f"{marker.upper()} export", True), ("Unrelated", False)]:
        params = {"steps": "1", "step_delay_ms": "0", **({"fail_job": "1"} if fail else {})}
        status, body, _ = call(http_server, "POST", "/api/v1/workflows", {"type": "TEST", "params": params, "summary": summary, "user_id": "counter"})
        assert status == 200, body
        ids.append(body["workflow_id"])
    wait_for(http_server, ids[0], "WORKFLOW_STATUS_COMPLETED")
    wait_for(http_server, ids[1], "WORKFLOW_STATUS_FAILED")
    wait_for(http_server, ids[2], "WORKFLOW_STATUS_COMPLETED")

    query = urlencode({"summary_contains": marker.lower(), "user_id": "counter"})
    status, listed, _ = call(http_server, "GET", f"/api/v1/workflows?{query}")
    assert status == 200 and [workflow["id"] for workflow in listed["workflows"]] == [ids[1], ids[0]], listed
    status, counted, _ = call(http_server, "GET", f"/api/v1/workflow-counts?{query}")
    assert status == 200, counted
    assert counted["counts"] == [
        {"type": "TEST", "status": "WORKFLOW_STATUS_COMPLETED", "count": "1"},
        {"type": "TEST", "status": "WORKFLOW_STATUS_FAILED", "count": "1"},
    ]
    status, everyone, _ = call(http_server, "GET", "/api/v1/workflow-counts?user_id=counter")
    assert sum(int(entry["count"]) for entry in everyone["counts"]) == 3


def test_the_console_is_served_with_a_validator_and_safe_headers(http_server):
    status, page, headers = call(http_server, "GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html"), page
    assert "default-src 'self'" in headers["Content-Security-Policy"] and headers["X-Content-Type-Options"] == "nosniff"
    status, _, again = call(http_server, "GET", "/", headers={"If-None-Match": headers["ETag"]})
    assert status == 304 and again["ETag"] == headers["ETag"]
    for script in [part.split('"')[0] for part in page.split('src="')[1:]]:
        status, body, script_headers = call(http_server, "GET", script)
        assert status == 200 and script_headers["Content-Type"].startswith("text/javascript"), (script, body)
        status, body, head_headers = call(http_server, "HEAD", script)
        assert status == 200 and body is None and head_headers["ETag"] == script_headers["ETag"], (script, body)


def test_a_validator_list_or_weak_tag_revalidates_the_console(http_server):
    _, _, headers = call(http_server, "GET", "/")
    for validator in [f'"other", {headers["ETag"]}', f'W/{headers["ETag"]}', "*"]:
        status, _, _ = call(http_server, "GET", "/", headers={"If-None-Match": validator})
        assert status == 304, validator
    status, _, _ = call(http_server, "GET", "/", headers={"If-None-Match": '"other"'})
    assert status == 200


def test_the_console_is_served_from_a_folder_while_it_is_edited(tmp_path, monkeypatch):
    (tmp_path / "index.html").write_text("<p>first</p>")
    (tmp_path / "app.js").write_text("let a = 1;")
    (tmp_path / ".secret.js").write_text("hidden")
    (tmp_path / "notes.txt").write_text("not a console file")
    monkeypatch.setenv("WORKFLOWD_CONSOLE_DIR", str(tmp_path))
    server = Server("--store", "memory")
    try:
        assert call(server, "GET", "/")[1] == "<p>first</p>"
        (tmp_path / "index.html").write_text("<p>edited</p>")
        status, page, headers = call(server, "GET", "/")
        assert status == 200 and page == "<p>edited</p>" and headers["Cache-Control"] == "no-store"
        status, script, headers = call(server, "GET", "/console/app.js")
        assert status == 200 and script == "let a = 1;" and headers["Content-Type"].startswith("text/javascript")
        for name in [".secret.js", "notes.txt", "missing.js", "..%2Findex.html"]:
            status, error, _ = call(server, "GET", f"/console/{name}")
            assert status == 404 and error["status"] == "NOT_FOUND", (name, error)
    finally:
        server.stop()

    monkeypatch.setenv("WORKFLOWD_CONSOLE_DIR", str(tmp_path / "nowhere"))
    result = subprocess.run([str(workflowd_binary()), "--port", "0", "--http-port", "0", "--store", "memory"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "WORKFLOWD_CONSOLE_DIR" in result.stderr and "has no index.html" in result.stderr, result.stderr


# MARK: Server-sent events


def test_events_follow_a_workflow_to_its_end_with_ids_that_resume_it(http_server):
    workflow_id = start(http_server, jobs=2, steps=5, step_delay_ms=20)
    reader = EventStreamReader(http_server, {"workflow_id": workflow_id})
    assert reader.status_line.endswith("200 OK") and "content-type: text/event-stream" in reader.headers
    first = [reader.next_event() for _ in range(6)]
    reader.close()
    ids = [int(event["id"]) for event in first]
    assert ids == sorted(ids) and all(int(event["data"]["sequence"]) == int(event["id"]) for event in first)
    assert first[0]["data"]["kind"] == "LOG_EVENT_KIND_WORKFLOW_STARTED"

    # A browser reconnects with Last-Event-ID: the stream resumes right after it, to the end.
    resumed = EventStreamReader(http_server, {"workflow_id": workflow_id}, last_event_id=str(ids[-1]))
    rest = []
    while True:
        event = resumed.next_event()
        if event.get("event") == "end":
            assert event["data"]["status"] == "OK", event
            break
        rest.append(event)
    resumed.close()
    kinds = [event["data"]["kind"] for event in first + rest]
    assert kinds[-1] == "LOG_EVENT_KIND_WORKFLOW_COMPLETED"
    sequences = [int(event["id"]) for event in first + rest]
    assert sequences == sorted(set(sequences)), "no line lost or repeated across the reconnect"
    assert kinds.count("LOG_EVENT_KIND_STEP_LOGGED") == 10


def test_an_idle_stream_sends_keep_alive_comments(http_server):
    workflow_id = start(http_server, jobs=1, steps=1, step_delay_ms=3000)
    reader = EventStreamReader(http_server, {"workflow_id": workflow_id})
    while reader.comments < 2:
        reader.next_event()
    reader.close()


def test_events_after_a_pruned_point_start_with_a_gap_marker_and_lose_nothing_else():
    server = Server("--event-retention", "50")
    try:
        workflow_id = start(server, steps=100, step_delay_ms=0)
        wait_for(server, workflow_id, "WORKFLOW_STATUS_COMPLETED")
        reader = EventStreamReader(server, {"workflow_id": workflow_id, "after_sequence": 1})
        first = reader.next_event()
        assert first["data"]["kind"] == "LOG_EVENT_KIND_GAP", first
        # Every sequence after 1 arrives once, as an event or inside a gap marker (the store may
        # still be pruning as the stream reads: then a second marker follows), to the end.
        expected, event, kinds = 2, first, []
        while event.get("event") != "end":
            data = event["data"]
            if data["kind"] == "LOG_EVENT_KIND_GAP":
                assert int(data["gap_from_sequence"]) == expected, (expected, data)
                expected = int(data["gap_to_sequence"]) + 1
            else:
                assert int(event["id"]) == expected, (expected, event)
                expected += 1
            kinds.append(data["kind"])
            event = reader.next_event()
        assert event["data"]["status"] == "OK"
        assert kinds[-1] == "LOG_EVENT_KIND_WORKFLOW_COMPLETED" and kinds.count("LOG_EVENT_KIND_GAP") in (1, 2)
        reader.close()
    finally:
        server.stop()


def test_a_live_stream_filtered_by_level_gets_only_those_events(http_server):
    # On a server with the default retention: with 50 events retained, a live watcher whose
    # starting point is not yet committed may rightly get a gap marker on a loaded machine.
    warnings = EventStreamReader(http_server, {"min_level": "LOG_LEVEL_WARN", "live_only": "true"})
    failing = start(http_server, jobs=1, steps=3, step_delay_ms=0, fail_job=1)
    event = warnings.next_event()
    assert event["data"]["workflow_id"] == failing and event["data"]["level"] in ("LOG_LEVEL_WARN", "LOG_LEVEL_ERROR"), event
    warnings.close()


def test_a_shutdown_ends_open_streams_with_unavailable_after_what_they_had():
    server = Server()
    reader = EventStreamReader(server, {})
    start(server, steps=1, step_delay_ms=0)
    first = reader.next_event()
    assert first["data"]["kind"] == "LOG_EVENT_KIND_WORKFLOW_STARTED"
    server.process.terminate()
    while True:
        event = reader.next_event()
        if event.get("event") == "end":
            assert event["data"]["status"] == "UNAVAILABLE", event
            break
    reader.close()
    server.process.wait(timeout=30)
    assert server.process.returncode == 0


def half_closed_connections(port: int) -> int:
    """Server-side TCP sockets on `port` in CLOSE_WAIT (the peer closed, the server has not)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "08":
                    count += 1
    return count


def busy_workflow(server: Server, user: str) -> None:
    """Runs a TEST workflow of 100,000 steps (some 40 MB of events as JSON) to its end."""
    status, body, _ = call(server, "POST", "/api/v1/workflows",
                           {"type": "TEST", "user_id": user, "params": {"jobs": "1", "steps": "100000", "step_delay_ms": "0"}})
    assert status == 200, body
    deadline = time.monotonic() + 300
    while True:  # the list answers with summaries: polling it costs little, unlike 100,000 steps
        status, page, _ = call(server, "GET", f"/api/v1/workflows?user_id={user}")
        assert status == 200, page
        if page["workflows"][0]["status"] == "WORKFLOW_STATUS_COMPLETED":
            return
        assert time.monotonic() < deadline, page
        time.sleep(0.1)


def test_a_thousand_streams_and_one_that_never_reads_keep_memory_bounded():
    """1,000 concurrent event streams all receive a workflow's events and cost little each;
    clients that hang up free their streams at once; a client that never reads while 100,000
    events pass costs the server a cursor, not the events."""
    server = Server("--workflow-retention", "1", "--event-retention", "1000")
    try:
        port = server.http_port
        workflow_id = start(server, steps=0)
        wait_for(server, workflow_id, "WORKFLOW_STATUS_COMPLETED")
        baseline = server.rss_kib()

        async def one_stream(opened: asyncio.Event, counter: list[int]):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /api/v1/events?live_only=true&min_level=LOG_LEVEL_INFO HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            await writer.drain()
            await reader.readuntil(b"\r\n\r\n")
            counter[0] += 1
            if counter[0] == 1000:
                opened.set()
            received = b""
            while b"LOG_EVENT_KIND_WORKFLOW_COMPLETED" not in received:
                data = await reader.read(65536)
                assert data, f"stream {counter[0]} closed before the workflow completed"
                received += data
            writer.close()
            return received.count(b"\ndata: ")

        async def main():
            opened = asyncio.Event()
            counter = [0]
            tasks = [asyncio.create_task(one_stream(opened, counter)) for _ in range(1000)]
            await asyncio.wait_for(opened.wait(), 120)
            peak_open = server.rss_kib()
            start(server, jobs=1, steps=20, step_delay_ms=0)
            counts = await asyncio.wait_for(asyncio.gather(*tasks), 120)
            return peak_open, counts

        peak_open, counts = asyncio.run(main())
        assert min(counts) >= 23, f"every stream gets every event (started, job started, 20 steps, ...): {min(counts)}"
        per_stream_kib = (peak_open - baseline) / 1000
        assert per_stream_kib < 200, f"{per_stream_kib:.0f} KiB of server memory per open stream"

        # The clients hung up: the server closes their connections (before ClientHangUpHandler
        # they stayed half-closed, their streams pulling every event, until a write failed).
        deadline = time.monotonic() + 10
        while half_closed_connections(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert half_closed_connections(port) == 0, "the server keeps connections whose clients hung up"
        # Twice: the heap then holds what a busy workflow needs on every event loop's thread
        # (the closed connections' memory was given back), so what grows next is the stall's.
        busy_workflow(server, "busy-1")
        busy_workflow(server, "busy-1b")
        after_first = server.rss_kib()

        # One client asks for everything and never reads its socket.
        stalled = socket.create_connection(("127.0.0.1", port))
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.sendall(b"GET /api/v1/events?live_only=true HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:  # its stream is open (live from here) before the events
            head += stalled.recv(1)
        busy_workflow(server, "busy-2")
        # The store commits the workflow's events after it completes (a debug build more than a
        # second after); what the stalled client costs is what stays once that is done.
        deadline = time.monotonic() + 15
        grown_mib = (server.rss_kib() - after_first) / 1024
        while grown_mib >= 24 and time.monotonic() < deadline:
            time.sleep(0.25)
            grown_mib = (server.rss_kib() - after_first) / 1024
        stalled.close()
        assert grown_mib < 24, f"the server grew {grown_mib:.0f} MiB while one client read nothing of ~40 MB of events"
    finally:
        server.stop()
