"""Peers that stock clients never are, on real sockets: silent or half-open connections,
floods of RST_STREAM, PING and SETTINGS, unanswered keepalives, too many streams. After each,
the server still serves other connections. Every test runs twice: in plaintext, and with the
server and the peer over TLS."""

import socket
import ssl
import struct
import time
from dataclasses import dataclass

import grpc
import h2.events
import pytest

from conftest import WORKFLOW_SERVICE, Server, method_path
from h2_client import RawH2
from tls_pki import PKI
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc

WATCH = method_path(WORKFLOW_SERVICE, "WatchLogs")
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(kind: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream_id) + payload


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Reads (and drops) everything until the server closes the socket or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, ssl.SSLError):
            return True
    return False


@dataclass
class Transport:
    """Plaintext, or TLS with a test authority: how the servers listen and the peers connect."""
    pki: PKI | None

    @property
    def server_arguments(self) -> list[str]:
        if self.pki is None:
            return []
        return ["--tls-cert", str(self.pki.server[0]), "--tls-key", str(self.pki.server[1])]

    @property
    def context(self) -> ssl.SSLContext | None:
        if self.pki is None:
            return None
        context = ssl.create_default_context(cafile=str(self.pki.ca[0]))
        context.set_alpn_protocols(["h2"])
        return context

    def connect(self, server, receive_buffer: int | None = None) -> socket.socket:
        """A connection to `server`, its TLS handshake done when over TLS."""
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        if receive_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        context = self.context
        return sock if context is None else context.wrap_socket(sock, server_hostname="localhost")

    def raw_h2(self, server) -> RawH2:
        return RawH2(server.port, tls=self.context)

    def channel(self, server) -> grpc.Channel:
        if self.pki is None:
            return grpc.insecure_channel(server.address)
        credentials = grpc.ssl_channel_credentials(root_certificates=self.pki.ca[0].read_bytes())
        return grpc.secure_channel(f"localhost:{server.port}", credentials)


@pytest.fixture(scope="module", params=["plaintext", "tls"])
def transport(request, tmp_path_factory):
    return Transport(PKI(tmp_path_factory.mktemp("pki")) if request.param == "tls" else None)


def serves(server, transport: Transport) -> bool:
    with transport.channel(server) as channel:
        stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
        started = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"step_delay_ms": "0"}), timeout=10)
        return bool(started.workflow_id)


@pytest.fixture(scope="module")
def strict_server(transport):
    server = Server("--idle-timeout", "1", "--keepalive-interval", "1", "--keepalive-timeout", "1",
                    "--max-concurrent-streams", "4", *transport.server_arguments)
    yield server
    server.stop()
    assert server.process.returncode == 0


@pytest.fixture(scope="module")
def server(transport):
    server = Server(*transport.server_arguments)
    yield server
    server.stop()
    assert server.process.returncode == 0


@pytest.mark.parametrize("opening", [b"", PREFACE[:10]], ids=["silent", "half-preface"])
def test_a_peer_that_sends_nothing_or_half_a_preface_is_closed_after_the_idle_timeout(strict_server, transport, opening):
    sock = transport.connect(strict_server)
    sock.sendall(opening)
    assert serves(strict_server, transport)
    assert closed_within(sock, 10)
    sock.close()


def test_a_peer_that_never_answers_keepalive_pings_is_closed(strict_server, transport):
    """A live watch keeps the connection from being idle; the PING goes unanswered."""
    sock = transport.connect(strict_server)
    client = RawH2.__new__(RawH2)
    import h2.config
    import h2.connection
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    request = pb.WatchLogsRequest(live_only=True).SerializeToString()
    conn.send_headers(1, [(":method", "POST"), (":scheme", "http"), (":authority", "x"),
                          (":path", WATCH),
                          ("content-type", "application/grpc"), ("te", "trailers")])
    conn.send_data(1, struct.pack(">BI", 0, len(request)) + request, end_stream=True)
    sock.sendall(conn.data_to_send())
    del client
    # Read, but never write again (so no PING ACK).
    assert closed_within(sock, 10)
    sock.close()
    assert serves(strict_server, transport)


def test_a_client_that_answers_pings_keeps_its_watch(strict_server, transport):
    client = transport.raw_h2(strict_server)
    stream = client.grpc_request(WATCH, pb.WatchLogsRequest(live_only=True).SerializeToString())
    deadline = time.monotonic() + 3.5
    while time.monotonic() < deadline:
        assert client.pump(timeout=0.2), "the server closed a connection that answers its PINGs"
    assert client.responses[stream]["reset"] is None
    client.close()


def test_max_concurrent_streams_is_advertised_and_enforced(strict_server, transport):
    client = transport.raw_h2(strict_server)
    settings = {}
    client.sock.settimeout(5)
    for event in client.conn.receive_data(client.sock.recv(65536)):
        if isinstance(event, h2.events.RemoteSettingsChanged):
            settings = {code: change.new_value for code, change in event.changed_settings.items()}
    client.flush()
    assert settings.get(h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS) == 4
    # Five live watches on raw frames (h2 itself would refuse to open the fifth).
    request = pb.WatchLogsRequest(live_only=True).SerializeToString()
    body = struct.pack(">BI", 0, len(request)) + request
    encoder = client.conn.encoder
    raw = b""
    for stream_id in (101, 103, 105, 107, 109):
        block = encoder.encode([(":method", "POST"), (":scheme", "http"), (":authority", "x"),
                                (":path", WATCH), ("content-type", "application/grpc")])
        raw += frame(0x1, 0x4, stream_id, block) + frame(0x0, 0x1, stream_id, body)
    client.sock.sendall(raw)
    goaway = None
    for kind, _, _, payload in client.raw_frames(timeout=3):
        if kind == 0x7:
            goaway = (int.from_bytes(payload[:4], "big"), int.from_bytes(payload[4:8], "big"))
            break
    # libnghttp2 treats the stream over the acknowledged limit as a connection error, after
    # processing the four within it.
    assert goaway == (107, 0x1), goaway  # PROTOCOL_ERROR
    client.close()
    assert serves(strict_server, transport)


def test_rst_stream_flood_ends_the_connection_not_the_server(server, transport):
    client = transport.raw_h2(server)
    client.pump(timeout=0.5)
    encoder = client.conn.encoder
    get = method_path(WORKFLOW_SERVICE, "GetWorkflow")
    raw = b""
    for n in range(3000):
        stream_id = 2 * n + 1
        block = encoder.encode([(":method", "POST"), (":scheme", "http"), (":authority", "x"),
                                (":path", get), ("content-type", "application/grpc")])
        raw += frame(0x1, 0x4, stream_id, block) + frame(0x3, 0, stream_id, struct.pack(">I", 8))
    try:
        client.sock.sendall(raw)
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
        pass
    goaway = None
    try:
        for kind, _, _, payload in client.raw_frames(timeout=10):
            if kind == 0x7:
                goaway = int.from_bytes(payload[4:8], "big")
    except (ConnectionResetError, socket.timeout, ssl.SSLError):
        pass
    # libnghttp2's reset rate limit (1000 at once, then 33/s) tears the connection down.
    assert goaway in (0x2, 0xB), goaway  # INTERNAL_ERROR (libnghttp2 1.52 with the backport) or ENHANCE_YOUR_CALM
    client.close()
    assert serves(server, transport)


@pytest.mark.parametrize("flood", ["ping", "settings"])
def test_a_flood_of_frames_needing_acks_from_a_peer_that_does_not_read_is_cut_off(server, transport, flood):
    sock = transport.connect(server, receive_buffer=4096)
    one = frame(0x6, 0, 0, b"12345678") if flood == "ping" else frame(0x4, 0, 0, struct.pack(">HI", 0x3, 100))
    batch = one * 10_000
    sock.sendall(PREFACE + frame(0x4, 0, 0))
    sent = 0
    sock.settimeout(10)
    try:
        for _ in range(200):
            sock.sendall(batch)
            sent += len(batch)
    except (BrokenPipeError, ConnectionResetError, socket.timeout, ssl.SSLError):
        pass
    # The server cut the connection instead of queuing acknowledgements without bound.
    assert closed_within(sock, 10), f"still open after {sent} bytes"
    sock.close()
    assert serves(server, transport)
    assert server.rss_kib() < 200_000
