"""Limits the connection layer holds whatever the peer does (issue 12), on raw sockets and raw
HTTP/2 frames against a real workflowd: a deadline ends its stream even when nothing can be sent,
a protocol-limit close says why (GOAWAY with a reason, and a log line) before the socket closes,
a non-gRPC request is read to its END_STREAM before it is answered, and one server-wide budget
bounds the bytes all connections together make the server buffer.

The frames here are written by hand rather than through `h2`, which would refuse to send most of
them; `Wire` keeps no protocol state beyond HPACK and acknowledging the server's SETTINGS.

Which of these fail on the code before issue 12 (release and debug builds of 4be7fdb) is noted on
each test; the ones marked "regression guard" pass on it too.
"""

import resource
import socket
import struct
import sys
import time
from dataclasses import dataclass, field

import grpc
import hpack
import pytest

from conftest import ROOT, WORKFLOW_SERVICE, Server, method_path
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc

sys.path.insert(0, str(ROOT / "Benchmarks"))
from hostile_memory import (  # noqa: E402
    ACK, CONTINUATION, DATA, END_HEADERS, END_STREAM, GOAWAY, HEADERS, MAX_FRAME, PADDED, PING, PREFACE,
    PRIORITY, RST_STREAM, SETTINGS, WINDOW_UPDATE, Flood, RSSSampler, frame, take_frames,
)

WATCH = method_path(WORKFLOW_SERVICE, "WatchLogs")
START = method_path(WORKFLOW_SERVICE, "StartWorkflow")
GRPC = [("content-type", "application/grpc"), ("te", "trailers")]

# Settings and error codes (RFC 9113); frame types and flags come with `frame` from hostile_memory.
MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE = 0x3, 0x4
NO_ERROR, PROTOCOL_ERROR, CANCEL, ENHANCE_YOUR_CALM = 0x0, 0x1, 0x8, 0xB
FRAME_NAMES = {DATA: "DATA", HEADERS: "HEADERS", 0x2: "PRIORITY", RST_STREAM: "RST_STREAM", SETTINGS: "SETTINGS",
               0x5: "PUSH_PROMISE", PING: "PING", GOAWAY: "GOAWAY", WINDOW_UPDATE: "WINDOW_UPDATE",
               CONTINUATION: "CONTINUATION"}
ERROR_NAMES = {0x0: "NO_ERROR", 0x1: "PROTOCOL_ERROR", 0x2: "INTERNAL_ERROR", 0x3: "FLOW_CONTROL_ERROR",
               0x5: "STREAM_CLOSED", 0x6: "FRAME_SIZE_ERROR", 0x7: "REFUSED_STREAM", 0x8: "CANCEL",
               0x9: "COMPRESSION_ERROR", 0xB: "ENHANCE_YOUR_CALM"}
KIB, MIB = 1024, 1024 * 1024


def data_frames(stream_id: int, body: bytes, end_stream: bool = False) -> bytes:
    """`body` as DATA frames of at most the default SETTINGS_MAX_FRAME_SIZE."""
    chunks = [body[i:i + MAX_FRAME] for i in range(0, len(body), MAX_FRAME)] or [b""]
    return b"".join(frame(DATA, END_STREAM if end_stream and i == len(chunks) - 1 else 0, stream_id, chunk)
                    for i, chunk in enumerate(chunks))


def grpc_message(message: bytes) -> bytes:
    return struct.pack(">BI", 0, len(message)) + message


def settings_payload(settings) -> bytes:
    return b"".join(struct.pack(">HI", key, value) for key, value in settings)


def request_fields(path: str, headers=(), method: str = "POST"):
    return [(":method", method), (":scheme", "http"), (":authority", "localhost"), (":path", path), *headers]


@dataclass
class Frame:
    kind: int
    flags: int
    stream: int
    payload: bytes
    headers: list | None = None  # decoded, for HEADERS (their CONTINUATIONs folded in)
    at: float = field(default_factory=time.monotonic)

    def __repr__(self) -> str:
        return str(self)

    @property
    def error_code(self) -> int:
        return int.from_bytes(self.payload[:4] if self.kind == RST_STREAM else self.payload[4:8], "big")

    @property
    def debug_data(self) -> bytes:
        return self.payload[8:]

    def ends_stream(self) -> bool:
        return self.kind == RST_STREAM or (self.kind in (DATA, HEADERS) and self.flags & END_STREAM != 0)

    def header(self, name: str):
        return dict(self.headers or []).get(name)

    def __str__(self) -> str:
        name = FRAME_NAMES.get(self.kind, hex(self.kind))
        ack = " ACK" if self.kind in (SETTINGS, PING) and self.flags & ACK else ""
        end = ", END_STREAM" if self.kind in (DATA, HEADERS) and self.flags & END_STREAM else ""
        if self.kind == HEADERS:
            return f"HEADERS(s{self.stream}{end}, {dict(self.headers)})"
        if self.kind == DATA:
            return f"DATA(s{self.stream}, {len(self.payload)} bytes{end})"
        if self.kind == RST_STREAM:
            return f"RST_STREAM(s{self.stream}, {ERROR_NAMES.get(self.error_code, self.error_code)})"
        if self.kind == GOAWAY:
            last = int.from_bytes(self.payload[:4], "big") & 0x7FFFFFFF
            return f"GOAWAY(last s{last}, {ERROR_NAMES.get(self.error_code, self.error_code)}, {self.debug_data!r})"
        if self.kind == WINDOW_UPDATE:
            return f"WINDOW_UPDATE(s{self.stream}, +{int.from_bytes(self.payload, 'big')})"
        return name + ack


class FrameReader:
    """Splits received bytes into frames; decodes header blocks (HPACK state is per connection)."""

    def __init__(self):
        self.buffer = bytearray()
        self.decoder = hpack.Decoder()
        self.block: tuple[int, int, bytearray] | None = None  # HEADERS waiting for CONTINUATIONs

    def feed(self, data: bytes) -> list[Frame]:
        self.buffer += data
        frames = []
        for kind, flags, stream_id, payload in take_frames(self.buffer):
            if kind == HEADERS:
                if flags & PADDED:
                    payload = payload[1:len(payload) - payload[0]]
                if flags & PRIORITY:
                    payload = payload[5:]
                self.block = (stream_id, flags, bytearray(payload))
            elif kind == CONTINUATION and self.block is not None:
                self.block[2].extend(payload)
                flags |= self.block[1]
            else:
                frames.append(Frame(kind, flags, stream_id, payload))
                continue
            if flags & END_HEADERS:
                stream_id, flags, block = self.block
                self.block = None
                headers = [(n.decode() if isinstance(n, bytes) else n, v.decode() if isinstance(v, bytes) else v)
                           for n, v in self.decoder.decode(bytes(block))]
                frames.append(Frame(HEADERS, flags | END_HEADERS, stream_id, bytes(block), headers))
        return frames


def describe(frames: list[Frame]) -> str:
    """The frames received, runs of equal ones collapsed: `PING ACK x1000, GOAWAY(...)`."""
    runs: list[list] = []
    for text in map(str, frames):
        if runs and runs[-1][0] == text:
            runs[-1][1] += 1
        else:
            runs.append([text, 1])
    return ", ".join(text if count == 1 else f"{text} x{count}" for text, count in runs) or "nothing"


OPEN_WIRES: list["Wire"] = []


@pytest.fixture(autouse=True)
def close_wires():
    """Closes the connections a test opened, failed or not (an open one delays the server's
    exit by its grace period)."""
    yield
    while OPEN_WIRES:
        OPEN_WIRES.pop().close()


class Wire:
    """One HTTP/2 client connection on a blocking socket that sends exactly the bytes it is given.

    It sends the preface and a SETTINGS frame, then reads until the server's SETTINGS, which it
    acknowledges then and whenever they come.
    """

    def __init__(self, port: int, settings=(), rcvbuf: int | None = None, connection_window_increment: int = 0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        OPEN_WIRES.append(self)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect(("127.0.0.1", port))
        self.encoder = hpack.Encoder()
        self.reader = FrameReader()
        self.frames: list[Frame] = []
        self.closed_at: float | None = None  # when the server closed the connection (EOF or reset)
        self.reset_by_peer = False
        opening = PREFACE + frame(SETTINGS, 0, 0, settings_payload(settings))
        if connection_window_increment:
            opening += frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", connection_window_increment))
        self.send(opening)
        assert self.read(5, until=lambda: self.first(lambda f: f.kind == SETTINGS and not f.flags & ACK)), \
            f"no SETTINGS from the server: {describe(self.frames)}"

    def send(self, data: bytes) -> bool:
        """Sends `data`; False if the server had closed the connection."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def headers(self, stream_id: int, path: str, headers=(), method: str = "POST", end_stream: bool = False) -> bytes:
        block = self.encoder.encode(request_fields(path, headers, method))
        return frame(HEADERS, END_HEADERS | (END_STREAM if end_stream else 0), stream_id, block)

    def trailers(self, stream_id: int, headers) -> bytes:
        return frame(HEADERS, END_HEADERS | END_STREAM, stream_id, self.encoder.encode(list(headers)))

    def read(self, seconds: float, until=None) -> bool:
        """Reads frames for up to `seconds`, until `until()` is true or the server closes.
        Returns `until()` (False without one)."""
        deadline = time.monotonic() + seconds
        while True:
            if until is not None and until():
                return True
            remaining = deadline - time.monotonic()
            if self.closed_at is not None or remaining <= 0:
                return False
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(1 << 16)
            except socket.timeout:
                continue
            except ConnectionResetError:
                self.closed_at, self.reset_by_peer = time.monotonic(), True
                continue
            if not data:
                self.closed_at = time.monotonic()
                continue
            for received in self.reader.feed(data):
                self.frames.append(received)
                if received.kind == SETTINGS and not received.flags & ACK:
                    self.send(frame(SETTINGS, ACK, 0))

    def first(self, predicate) -> Frame | None:
        return next((f for f in self.frames if predicate(f)), None)

    def on(self, stream_id: int) -> list[Frame]:
        return [f for f in self.frames if f.stream == stream_id]

    def end_of(self, stream_id: int) -> Frame | None:
        """The frame with which the server ended `stream_id` (END_STREAM or RST_STREAM)."""
        return self.first(lambda f: f.stream == stream_id and f.ends_stream())

    def goaway(self) -> Frame | None:
        return self.first(lambda f: f.kind == GOAWAY)

    def describe(self) -> str:
        closed = "" if self.closed_at is None else (", then reset" if self.reset_by_peer else ", then closed")
        return describe(self.frames) + closed

    def close(self):
        self.sock.close()


def serves(server) -> bool:
    """A stock grpcio client can start a workflow."""
    with grpc.insecure_channel(server.address) as channel:
        stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
        started = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"step_delay_ms": "0"}), timeout=10)
        return bool(started.workflow_id)


def finished_workflow(server, steps: int) -> str:
    """A TEST workflow of one job with `steps` steps (about 2 x steps events), finished."""
    with grpc.insecure_channel(server.address) as channel:
        stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
        started = stub.StartWorkflow(pb.StartWorkflowRequest(
            type="TEST", params={"jobs": "1", "steps": str(steps), "step_delay_ms": "0"}), timeout=10)
        for _ in stub.WatchLogs(pb.WatchLogsRequest(workflow_id=started.workflow_id, min_level=pb.LOG_LEVEL_ERROR),
                                timeout=120):
            pass
        return started.workflow_id


def log_lines(server, text: str) -> list[str]:
    return [line for line in list(server.log) if text in line]


def wait_for_log(server, text: str, more_than: int, seconds: float = 3) -> list[str]:
    deadline = time.monotonic() + seconds
    while len(log_lines(server, text)) <= more_than and time.monotonic() < deadline:
        time.sleep(0.02)
    return log_lines(server, text)


@pytest.fixture(scope="module")
def limits_server():
    """At the default (info) log level, as in production."""
    server = Server()
    yield server
    server.stop()
    assert server.process.returncode == 0


@pytest.fixture(scope="module")
def debug_server():
    server = Server("--log-level", "debug")
    yield server
    server.stop()
    assert server.process.returncode == 0


# MARK: 1. A deadline bounds a stream whatever the client does

DEADLINE = "200m"
# A 200 ms deadline must end the stream well before this (the issue asks for 50 ms after expiry;
# the slack is for slow CI machines). Before issue 12 such a stream stayed open for as long as
# the client granted no window (> 8 s).
DEADLINE_ENDS_WITHIN = 1.0
# Seconds within which the server's log must say the deadline ended a stream nothing can be sent on.
DEADLINE_LOGGED_WITHIN = 5.0


def assert_ended_by_its_deadline(wire: Wire, stream_id: int, sent_at: float):
    wire.read(3, until=lambda: wire.end_of(stream_id))
    end = wire.end_of(stream_id)
    assert end is not None, f"stream {stream_id} still open 3 s after a {DEADLINE} deadline: {wire.describe()}"
    assert end.at - sent_at < DEADLINE_ENDS_WITHIN, \
        f"stream {stream_id} ended {end.at - sent_at:.2f} s after a {DEADLINE} deadline: {wire.describe()}"
    # DEADLINE_EXCEEDED in trailers, or (when they cannot be sent) RST_STREAM(CANCEL).
    assert (end.kind == HEADERS and end.header("grpc-status") == "4") or \
        (end.kind == RST_STREAM and end.error_code == CANCEL), wire.describe()


def test_a_deadline_ends_a_watch_whose_client_grants_no_stream_window(debug_server):
    """Fails before issue 12: the response HEADERS, then nothing for 3 s (the trailers wait for
    window the client never grants)."""
    workflow_id = finished_workflow(debug_server, steps=10)
    wire = Wire(debug_server.port, settings=[(INITIAL_WINDOW_SIZE, 0)])
    request = grpc_message(pb.WatchLogsRequest(workflow_id=workflow_id, live_only=False).SerializeToString())
    sent_at = time.monotonic()
    wire.send(wire.headers(1, WATCH, GRPC + [("grpc-timeout", DEADLINE)]) + data_frames(1, request, end_stream=True))
    assert_ended_by_its_deadline(wire, 1, sent_at)
    wire.close()
    assert serves(debug_server)


def test_a_deadline_ends_a_watch_stalled_on_the_connection_window(debug_server):
    """The streams' windows are open (1 MiB) but a first watch used up the connection's 65,535
    bytes, which the client never reopens; a second watch with a deadline can send no DATA.
    Fails before issue 12 like the stream-window case."""
    workflow_id = finished_workflow(debug_server, steps=2_000)  # ~4,000 events, far more than 64 KiB
    wire = Wire(debug_server.port, settings=[(INITIAL_WINDOW_SIZE, 1 << 20)])
    request = grpc_message(pb.WatchLogsRequest(workflow_id=workflow_id).SerializeToString())
    wire.send(wire.headers(1, WATCH, GRPC) + data_frames(1, request, end_stream=True))

    def received() -> int:
        return sum(len(f.payload) for f in wire.frames if f.kind == DATA)

    wire.read(5, until=lambda: received() >= 65_535)
    assert received() == 65_535, f"the first watch did not fill the connection window: {received()} bytes"
    sent_at = time.monotonic()
    wire.send(wire.headers(3, WATCH, GRPC + [("grpc-timeout", DEADLINE)]) + data_frames(3, request, end_stream=True))
    assert_ended_by_its_deadline(wire, 3, sent_at)
    assert wire.end_of(1) is None, "the watch without a deadline ended"
    wire.close()
    assert serves(debug_server)


def test_a_deadline_ends_a_watch_whose_client_does_not_read_its_socket(debug_server):
    """Regression guard (passes before issue 12 too: the old code logs rpc.deadline_exceeded
    when the timer fires, whether or not anything can be sent). The client grants all the
    window there is, then never reads: the server's socket buffer fills and nothing, not even a
    RST_STREAM, can reach it. All that can be checked from outside is that the server ended
    the stream (its debug log says so) and keeps serving."""
    workflow_id = finished_workflow(debug_server, steps=50_000)  # ~100,000 events, several MB
    before = len(log_lines(debug_server, "rpc.deadline_exceeded"))
    wire = Wire(debug_server.port, settings=[(INITIAL_WINDOW_SIZE, (1 << 31) - 1)], rcvbuf=4096,
                connection_window_increment=(1 << 31) - 1 - 65_535)
    request = grpc_message(pb.WatchLogsRequest(workflow_id=workflow_id).SerializeToString())
    wire.send(wire.headers(1, WATCH, GRPC + [("grpc-timeout", DEADLINE)]) + data_frames(1, request, end_stream=True))
    # The bound is looser than DEADLINE_ENDS_WITHIN: the debug server may still be busy with the
    # 100,000 events just written (their commits, the watch's first read from the store) when the
    # timer fires (a 1 s bound failed once in CI); a stream the deadline misses
    # stays open for as long as the client reads nothing.
    sent_at = time.monotonic()
    lines = wait_for_log(debug_server, "rpc.deadline_exceeded", more_than=before, seconds=DEADLINE_LOGGED_WITHIN)
    assert len(lines) > before, \
        f"no rpc.deadline_exceeded in the server's log {time.monotonic() - sent_at:.2f} s after a {DEADLINE} deadline"
    assert "h2.stream_id=1" in lines[-1], lines[-1]
    assert serves(debug_server)
    wire.close()
    assert serves(debug_server)


# MARK: 2. Protocol-limit closes say why


def ping_burst(wire: Wire) -> bytes:
    return frame(PING, 0, 0, b"12345678") * 2_500


def settings_burst(wire: Wire) -> bytes:
    return frame(SETTINGS, 0, 0, settings_payload([(MAX_CONCURRENT_STREAMS, 100)])) * 2_500


def continuation_flood(wire: Wire) -> bytes:
    """One valid request header block split over HEADERS and 9 CONTINUATION frames: one more
    than the limit (the same block over 8 is served)."""
    block = wire.encoder.encode(request_fields(START, GRPC + [("x-padding", "p" * 240)]))
    pieces = [block[i * len(block) // 10:(i + 1) * len(block) // 10] for i in range(10)]
    return frame(HEADERS, 0, 1, pieces[0]) + b"".join(
        frame(CONTINUATION, END_HEADERS if i == 9 else 0, 1, piece) for i, piece in enumerate(pieces[1:], 1))


@pytest.mark.parametrize("burst", [ping_burst, settings_burst, continuation_flood],
                         ids=["2500-pings", "2500-settings", "9-continuations"])
def test_a_protocol_limit_close_sends_goaway_enhance_your_calm_with_a_reason_first(limits_server, burst):
    """The client sends the burst in one write and then reads. Fails before issue 12, which
    closed each of these connections without a GOAWAY and logged nothing at info level: the
    PINGs got 1,000 (debug build) to 1,963 (release) PING ACKs and then a close, the SETTINGS
    1,000 ACKs and then a reset, the CONTINUATIONs a close at once."""
    before = len(log_lines(limits_server, "h2.protocol_limit"))
    wire = Wire(limits_server.port)
    wire.send(burst(wire))
    wire.read(10)
    goaway = wire.goaway()
    assert goaway is not None, f"no GOAWAY: {wire.describe()}"
    assert goaway.error_code == ENHANCE_YOUR_CALM, wire.describe()
    assert goaway.debug_data.decode("utf-8").strip(), f"GOAWAY without a reason: {wire.describe()}"
    assert wire.closed_at is not None, f"still open 10 s after the GOAWAY: {wire.describe()}"
    wire.close()
    lines = wait_for_log(limits_server, "h2.protocol_limit", more_than=before)
    assert len(lines) > before, "no h2.protocol_limit line in the server's log at info level"
    assert serves(limits_server)


# MARK: 3. Non-gRPC requests are read to their END_STREAM before they are answered

# Long enough for the server to have answered at once if it were going to (h2spec waits less).
NOTHING_FOR = 0.3


def stream_error_or_connection_error(wire: Wire, stream_id: int, code: int) -> bool:
    goaway = wire.goaway()
    reset = wire.first(lambda f: f.kind == RST_STREAM and f.stream == stream_id)
    return (reset is not None and reset.error_code == code) or (goaway is not None and goaway.error_code == code)


def test_a_non_grpc_request_whose_data_exceeds_its_content_length_is_reset_protocol_error(limits_server):
    """h2spec 8.1.2.6/1. Fails before issue 12: the 415 and RST_STREAM(NO_ERROR) go out as soon
    as the HEADERS arrive; the oversize DATA then lands on a closed stream and is ignored."""
    wire = Wire(limits_server.port)
    wire.send(wire.headers(1, START, [("content-type", "text/plain"), ("content-length", "1")]))
    wire.read(NOTHING_FOR)
    wire.send(frame(DATA, END_STREAM, 1, b"four"))
    wire.read(3, until=lambda: stream_error_or_connection_error(wire, 1, PROTOCOL_ERROR))
    assert stream_error_or_connection_error(wire, 1, PROTOCOL_ERROR), wire.describe()
    assert not [f for f in wire.on(1) if f.kind == HEADERS], f"answered before reading the body: {wire.describe()}"
    wire.close()


@pytest.mark.parametrize("method, content_type, status", [("POST", "text/plain", "415"), ("GET", None, "405")])
def test_a_non_grpc_request_is_answered_only_after_its_end_stream(limits_server, method, content_type, status):
    """Fails before issue 12: the answer (HEADERS, DATA, then RST_STREAM(NO_ERROR)) arrives
    within the pause, before the client sent END_STREAM."""
    wire = Wire(limits_server.port)
    headers = [("content-type", content_type)] if content_type else []
    wire.send(wire.headers(1, START if method == "POST" else "/", headers, method=method))
    wire.read(NOTHING_FOR)
    assert not [f for f in wire.on(1) if f.kind in (HEADERS, DATA, RST_STREAM)], f"answered before END_STREAM: {wire.describe()}"
    wire.send(frame(DATA, END_STREAM, 1, b"x" if method == "POST" else b""))
    wire.read(5, until=lambda: wire.end_of(1))
    frames = wire.on(1)
    assert frames and frames[0].kind == HEADERS and frames[0].header(":status") == status, wire.describe()
    body = b"".join(f.payload for f in frames if f.kind == DATA)
    assert len(body) >= 2, wire.describe()
    end = wire.end_of(1)
    assert end is not None and end.kind != RST_STREAM, wire.describe()
    wire.close()


def test_a_pseudo_header_in_the_trailers_of_a_non_grpc_request_is_reset_protocol_error(limits_server):
    """h2spec 8.1.2.1/3. Fails before issue 12: the stream was answered and reset before the
    trailers came."""
    wire = Wire(limits_server.port)
    wire.send(wire.headers(1, START, [("content-type", "text/plain")]) + frame(DATA, 0, 1, b"body"))
    wire.read(NOTHING_FOR)
    wire.send(wire.trailers(1, [("x-checksum", "1"), (":method", "POST")]))
    wire.read(3, until=lambda: stream_error_or_connection_error(wire, 1, PROTOCOL_ERROR))
    assert stream_error_or_connection_error(wire, 1, PROTOCOL_ERROR), wire.describe()
    wire.close()


def test_a_non_grpc_request_with_a_large_body_is_answered_and_reset_without_waiting_for_its_end(limits_server):
    """Regression guard (passes before issue 12, which answered every such request at once): the
    reading before answering is bounded (64 KiB), and the connection keeps serving gRPC."""
    wire = Wire(limits_server.port)
    wire.send(wire.headers(1, START, [("content-type", "text/plain")]) + data_frames(1, b"b" * (80 * KIB)))
    wire.read(5, until=lambda: wire.first(lambda f: f.kind == RST_STREAM and f.stream == 1))
    frames = wire.on(1)
    assert frames and frames[0].kind == HEADERS and frames[0].header(":status") == "415", wire.describe()
    assert len(b"".join(f.payload for f in frames if f.kind == DATA)) >= 2, wire.describe()
    assert wire.first(lambda f: f.kind == RST_STREAM and f.stream == 1), wire.describe()
    request = grpc_message(pb.StartWorkflowRequest(type="TEST", params={"step_delay_ms": "0"}).SerializeToString())
    wire.send(wire.headers(3, START, GRPC) + data_frames(3, request, end_stream=True))
    wire.read(5, until=lambda: wire.end_of(3))
    end = wire.end_of(3)
    assert end is not None and end.kind == HEADERS and end.header("grpc-status") == "0", wire.describe()
    wire.close()


# MARK: 4. One buffer budget for the whole server


def rss_back_near(server, start_kib: int, slack_kib: int, seconds: float = 10) -> int:
    """Polls the server's RSS until it is within `slack_kib` of `start_kib` (or time runs out)."""
    deadline = time.monotonic() + seconds
    rss = server.rss_kib()
    while rss - start_kib > slack_kib and time.monotonic() < deadline:
        time.sleep(0.1)
        rss = server.rss_kib()
    return rss


# After the peers left, RSS comes back to within this of where it started. The old code kept
# 100-180 MiB after 1,000 connections with 256 KiB each, and 19 MiB after 1,000 idle ones.
RETURNED_WITHIN = 30 * MIB


def assert_refused_for_the_budget(flood: Flood, budget: int):
    """Some streams ended with RESOURCE_EXHAUSTED naming the budget, each then RST_STREAM
    (NO_ERROR); no stream got another status; the streams still open sent at most the budget."""
    streams = flood.streams()
    summary = flood.summary()
    refused = [s for s in streams if s.status == "8"]
    assert refused, f"no stream was refused: {summary}"
    for stream in refused:
        assert any(word in (stream.message or "").lower() for word in ("budget", "buffer")), stream.message
        assert stream.reset == NO_ERROR and stream.reset_after_status, \
            f"stream {stream.id} was not reset (NO_ERROR) after its status: {stream.reset}"
    assert not [s for s in streams if s.status not in (None, "8")], summary
    held = sum(s.offset for s in streams if not s.ended)
    assert held <= budget, f"the streams still open hold {held:,} bytes: {summary}"


def flood_within_budget(server, start: int, budget: int, fixed_overhead: int, label: str, timeout: float, **peers):
    """Runs one flood of `peers` (Flood's arguments) against `server` and checks it: a normal
    call still works, only the budget refused streams, RSS stayed under the budget plus
    `fixed_overhead` above `start` (KiB), and came back within RETURNED_WITHIN after the peers left."""
    sampler = RSSSampler(server.rss_kib)
    sampler.start()
    flood = Flood(server.port, **peers)
    try:
        # Until every stream sent all it has or was ended (or, should the server hold peers back
        # with flow control, until nothing moves); then the answers to the last bytes.
        flood.drive(timeout, until=lambda: flood.settled() or flood.quiet_for(1))
        flood.drive(1)
        assert serves(server), "a normal call failed while the budget was in use"
        assert_refused_for_the_budget(flood, budget)
        peak = sampler.stop()
        assert peak - start < (budget + fixed_overhead) // KIB, \
            f"{label}: RSS rose {(peak - start) // KIB} MiB for a {budget // MIB} MiB budget: {flood.summary()}"
    finally:
        sampler.running = False
        flood.close()
    rss = rss_back_near(server, start, RETURNED_WITHIN // KIB)
    assert rss - start <= RETURNED_WITHIN // KIB, \
        f"{label}: RSS {(rss - start) // KIB} MiB above its start after the peers left"


def test_the_buffer_budget_ends_the_streams_whose_data_does_not_fit():
    """8 connections x 4 streams, each a 3 MiB message of which ~1 MiB arrives, against an 8 MiB
    budget. Fails before issue 12: `--max-buffered-bytes` does not exist (workflowd exits with
    "Unknown option"). Without the flag the old server held all 32 streams and its RSS rose
    33-35 MiB (release and debug builds)."""
    budget = 8 * MIB
    # 8 MiB of partial messages plus what the process needs besides them, with room for slow
    # machines; still below the 33 MiB the old code took for the same peers.
    fixed_overhead = 16 * MIB
    server = Server("--max-buffered-bytes", str(budget))
    try:
        assert serves(server)
        start = server.rss_kib()
        flood_within_budget(server, start, budget, fixed_overhead, "the flood", timeout=30,
                            connections=8, streams_per_connection=4, bytes_per_stream=1_000_000,
                            announced_bytes=3 * MIB)
        assert serves(server)
    finally:
        server.stop()


def test_the_buffer_budget_holds_under_1000_hostile_connections():
    """1,000 connections, each one stream with 256 KiB of a 1 MiB message, twice over (the old
    code returned part of its memory after a first such flood and kept nearly all of it after a
    second), against a 64 MiB budget. Fails before issue 12: `--max-buffered-bytes` does not
    exist. Without the flag the old server's RSS rose 380-420 MiB and 100-180 MiB of it stayed
    after the peers left (320 MiB after the second flood)."""
    budget = 64 * MIB
    # 1,000 connections that each hold one stream with only a gRPC prefix cost 19 MiB (old and
    # new code); busy ones cost about 32 KiB each beyond the budget (their nghttp2 sessions, one
    # 16 KiB receive buffer each, allocator slack): 32 MiB measured with the release build
    # (BENCHMARKS.md, "Memory under hostile peers"). 64 MiB leaves room for the debug build
    # and a loaded machine; the old code rose 380-420 MiB.
    fixed_overhead = 64 * MIB
    # 1,000 sockets here and in the server (which inherits this limit), and a few more.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY:
        assert hard >= 2_100, f"needs 2,100 open files, but their hard limit (ulimit -Hn) is {hard}"
    if soft != resource.RLIM_INFINITY and soft < 2_100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (4_096 if hard == resource.RLIM_INFINITY else min(4_096, hard), hard))
    server = Server("--max-buffered-bytes", str(budget))
    try:
        assert serves(server)
        start = server.rss_kib()
        for round_number in (1, 2):
            flood_within_budget(server, start, budget, fixed_overhead, f"flood {round_number}", timeout=60,
                                connections=1_000, streams_per_connection=1, bytes_per_stream=256 * KIB,
                                announced_bytes=MIB)
        assert serves(server)
    finally:
        server.stop()
