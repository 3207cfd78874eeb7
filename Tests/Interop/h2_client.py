"""A minimal HTTP/2 client on a raw socket (Python's h2), for what stock gRPC clients cannot do:
non-gRPC requests, and readers that stop reading so flow control can be observed."""

import socket
import ssl
import struct

import h2.config
import h2.connection
import h2.events
import h2.settings


class RawH2:
    def __init__(self, port: int, initial_window: int = 65535, tls: ssl.SSLContext | None = None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname="localhost")
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.local_settings = h2.settings.Settings(client=True, initial_values={
            h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: initial_window,
            h2.settings.SettingCodes.ENABLE_PUSH: 0,
        })
        self.conn.initiate_connection()
        self.flush()
        self.responses: dict[int, dict] = {}
        self.ping_acks = 0

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, path: str, body: bytes, headers=None, method="POST", end=True) -> int:
        stream_id = self.conn.get_next_available_stream_id()
        base = [(":method", method), (":scheme", "http"), (":authority", "localhost"), (":path", path)]
        self.conn.send_headers(stream_id, base + (headers or []), end_stream=not body and end)
        if body:
            self.conn.send_data(stream_id, body, end_stream=end)
        self.flush()
        self.responses[stream_id] = {"headers": [], "data": b"", "trailers": [], "ended": False, "reset": None}
        return stream_id

    def grpc_request(self, path: str, message: bytes) -> int:
        framed = struct.pack(">BI", 0, len(message)) + message
        return self.request(path, framed, headers=[("content-type", "application/grpc"), ("te", "trailers")])

    def pump(self, acknowledge: bool = True, timeout: float = 10) -> bool:
        """Reads once from the socket; returns False when the connection closed."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        if not data:
            return False
        for event in self.conn.receive_data(data):
            response = self.responses.get(getattr(event, "stream_id", None))
            if isinstance(event, h2.events.ResponseReceived):
                response["headers"] = event.headers
            elif isinstance(event, h2.events.TrailersReceived):
                response["trailers"] = event.headers
            elif isinstance(event, h2.events.DataReceived):
                response["data"] += event.data
                if acknowledge:
                    self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                response["ended"] = True
            elif isinstance(event, h2.events.PingAckReceived):
                self.ping_acks += 1
            elif isinstance(event, h2.events.StreamReset):
                if response is not None:
                    response["reset"] = event.error_code
        self.flush()
        return True

    def sync(self, timeout: float = 10) -> bool:
        """Sends a PING and reads until its ACK: the server has then processed every frame sent
        before it (frames are handled in order). Returns False if the connection closed first."""
        import time
        acks = self.ping_acks
        self.conn.ping(b"syncsync")
        self.flush()
        deadline = time.monotonic() + timeout
        while self.ping_acks == acks and time.monotonic() < deadline:
            if not self.pump(timeout=0.5):
                return False
        return self.ping_acks > acks

    def wait_ended(self, stream_id: int, timeout: float = 10) -> dict:
        import time
        deadline = time.monotonic() + timeout
        response = self.responses[stream_id]
        while not response["ended"] and response["reset"] is None and time.monotonic() < deadline:
            if not self.pump(timeout=0.5):
                break
        return response

    def close(self):
        self.sock.close()

    def raw_frames(self, timeout: float = 10):
        """From now on, reads frames without h2 (which treats any GOAWAY, even a shutdown notice,
        as the end): yields (type, flags, stream_id, payload) until the server closes, answering
        PINGs and decoding header blocks into a list of (name, value) in place of the payload."""
        import hpack
        decoder = hpack.Decoder()
        decoder.header_table = self.conn.decoder.header_table
        self.sock.settimeout(timeout)
        buffer = b""
        while True:
            data = self.sock.recv(65536)
            if not data:
                return
            buffer += data
            while len(buffer) >= 9:
                length = int.from_bytes(buffer[:3], "big")
                if len(buffer) < 9 + length:
                    break
                kind, flags = buffer[3], buffer[4]
                stream_id = int.from_bytes(buffer[5:9], "big") & 0x7FFFFFFF
                payload = buffer[9:9 + length]
                buffer = buffer[9 + length:]
                if kind == 0x6 and not flags & 0x1:
                    self.sock.sendall(struct.pack(">I", 8)[1:] + bytes([0x6, 0x1]) + bytes(4) + payload)
                if kind == 0x1:
                    payload = [(n.decode() if isinstance(n, bytes) else n, v.decode() if isinstance(v, bytes) else v)
                               for n, v in decoder.decode(payload)]
                yield kind, flags, stream_id, payload


def grpc_messages(data: bytes) -> list[bytes]:
    messages, offset = [], 0
    while offset + 5 <= len(data):
        _, length = struct.unpack(">BI", data[offset:offset + 5])
        messages.append(data[offset + 5:offset + 5 + length])
        offset += 5 + length
    assert offset == len(data), "trailing partial gRPC message"
    return messages
