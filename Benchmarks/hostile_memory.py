#!/usr/bin/env python3
"""Server memory under peers that send partial gRPC messages and never finish them (issue 12).

    .venv/bin/python Benchmarks/hostile_memory.py --workflowd .build/release/workflowd \\
        --connections 32 --streams-per-connection 16 --bytes-per-stream 1000000

Starts a workflowd (`--store memory` unless --extra-args chooses a store), opens N connections
on raw sockets, and on each opens streams to StartWorkflow that send a 5-byte gRPC prefix
announcing a large message (--announced-bytes) and then --bytes-per-stream bytes of it, never
ending. The peers honour flow control (the server's SETTINGS and WINDOW_UPDATEs) and never
read more than they must. It reads the server's RSS before they connect, at its peak while they
send and hold (sampled every 10 ms), and 2 s and 10 s after they closed their sockets, then
prints a table and what the server did with the streams (still open, grpc-status, RST_STREAM).

With --bytes-per-stream 0 each stream sends only the prefix: what idle-ish connections cost.
Tests/Interop/test_connection_limits.py drives its floods with the `Flood` class below.
"""

import argparse
import os
import selectors
import shlex
import socket
import struct
import sys
import threading
import time
from pathlib import Path

import hpack

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests/Interop"))

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0x0, 0x1, 0x3, 0x4, 0x6, 0x7, 0x8, 0x9
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY = 0x1, 0x1, 0x4, 0x8, 0x20
SETTINGS_INITIAL_WINDOW_SIZE = 0x4
MAX_FRAME = 16_384
START_WORKFLOW = "/workflow.v1.WorkflowService/StartWorkflow"


def frame(kind: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream_id) + payload


def take_frames(buffer: bytearray):
    """Removes the complete frames at the front of `buffer`, yielding each as
    (type, flags, stream id, payload); a partial frame stays for the next read."""
    while len(buffer) >= 9:
        length = int.from_bytes(buffer[:3], "big")
        if len(buffer) < 9 + length:
            return
        kind, flags = buffer[3], buffer[4]
        stream_id = int.from_bytes(buffer[5:9], "big") & 0x7FFFFFFF
        payload = bytes(buffer[9:9 + length])
        del buffer[:9 + length]
        yield kind, flags, stream_id, payload


def literal_block(headers) -> bytes:
    """HPACK literals that never touch the dynamic table: valid on any connection, any time."""
    def string(text: str) -> bytes:
        raw = text.encode()
        assert len(raw) < 127
        return bytes([len(raw)]) + raw
    return b"".join(b"\x10" + string(name) + string(value) for name, value in headers)


class Stream:
    def __init__(self, stream_id: int, window: int, body_length: int):
        self.id = stream_id
        self.window = window
        self.offset = 0  # body bytes sent
        self.body_length = body_length
        self.status: str | None = None  # grpc-status of a response that ended the stream
        self.message: str | None = None
        self.reset: int | None = None  # RST_STREAM error code
        self.reset_after_status = False

    @property
    def ended(self) -> bool:
        return self.status is not None or self.reset is not None

    @property
    def finished_sending(self) -> bool:
        return self.offset >= self.body_length


class Peer:
    """One connection: sends its streams' partial messages as flow control allows."""

    def __init__(self, flood: "Flood", sock: socket.socket):
        self.flood = flood
        self.sock = sock
        self.out = bytearray(PREFACE + frame(SETTINGS, 0, 0))
        self.buffer = bytearray()
        self.decoder = hpack.Decoder()
        self.block: tuple[int, int, bytearray] | None = None
        self.window = 65_535  # connection send window
        self.streams: dict[int, Stream] = {}
        self.goaway: tuple[int, bytes] | None = None  # error code, debug data
        self.closed = False  # by the server, or the connection failed
        self.next_stream = 0  # round robin
        self.events = selectors.EVENT_READ | selectors.EVENT_WRITE  # as registered

    # Sending

    def fill(self, limit: int = 256 * 1024):
        """Queues DATA frames while the windows and `limit` allow, one frame per stream in turn."""
        if self.goaway is not None or not self.streams:
            return
        streams = list(self.streams.values())
        idle_turns = 0
        while len(self.out) < limit and self.window > 0 and idle_turns < len(streams):
            stream = streams[self.next_stream % len(streams)]
            self.next_stream += 1
            size = min(MAX_FRAME, stream.body_length - stream.offset, stream.window, self.window)
            if stream.ended or size <= 0:
                idle_turns += 1
                continue
            idle_turns = 0
            self.out += frame(DATA, 0, stream.id, self.flood.body[stream.offset:stream.offset + size])
            stream.offset += size
            stream.window -= size
            self.window -= size

    def wants_to_write(self) -> bool:
        if self.closed:
            return False
        if not self.out:
            self.fill()
        return bool(self.out)

    def write(self):
        try:
            sent = self.sock.send(self.out)
        except BlockingIOError:
            return
        except OSError:
            self.closed = True
            return
        del self.out[:sent]
        self.flood.last_progress = time.monotonic()

    # Receiving

    def read(self):
        try:
            data = self.sock.recv(1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return
        self.flood.last_progress = time.monotonic()
        self.buffer += data
        for kind, flags, stream_id, payload in take_frames(self.buffer):
            self.received(kind, flags, stream_id, payload)

    def received(self, kind: int, flags: int, stream_id: int, payload: bytes):
        stream = self.streams.get(stream_id)
        if kind == SETTINGS and not flags & ACK:
            self.out += frame(SETTINGS, ACK, 0)
            initial = 65_535
            for offset in range(0, len(payload) - 5, 6):
                key, value = struct.unpack(">HI", payload[offset:offset + 6])
                if key == SETTINGS_INITIAL_WINDOW_SIZE:
                    initial = value
            if not self.streams:
                self.open_streams(initial)
        elif kind == PING and not flags & ACK:
            self.out += frame(PING, ACK, 0, payload)
        elif kind == WINDOW_UPDATE:
            increment = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
            if stream_id == 0:
                self.window += increment
            elif stream is not None:
                stream.window += increment
        elif kind == RST_STREAM and stream is not None:
            stream.reset_after_status = stream.status is not None
            stream.reset = int.from_bytes(payload[:4], "big")
        elif kind == GOAWAY:
            self.goaway = (int.from_bytes(payload[4:8], "big"), payload[8:])
        elif kind in (HEADERS, CONTINUATION):
            if kind == HEADERS:
                if flags & PADDED:
                    payload = payload[1:len(payload) - payload[0]]
                if flags & PRIORITY:
                    payload = payload[5:]
                self.block = (stream_id, flags, bytearray(payload))
            elif self.block is not None:
                self.block[2].extend(payload)
                flags |= self.block[1]
            if flags & END_HEADERS and self.block is not None:
                stream_id, flags, block = self.block
                self.block = None
                headers = dict((n.decode() if isinstance(n, bytes) else n, v.decode() if isinstance(v, bytes) else v)
                               for n, v in self.decoder.decode(bytes(block)))
                stream = self.streams.get(stream_id)
                if stream is not None and flags & END_STREAM:
                    stream.status = headers.get("grpc-status", "?")
                    stream.message = headers.get("grpc-message")
        elif kind == DATA and flags & END_STREAM and stream is not None:
            stream.status = "?"  # a response body ended without trailers

    def open_streams(self, initial_window: int):
        for n in range(self.flood.streams_per_connection):
            stream_id = 2 * n + 1
            self.streams[stream_id] = Stream(stream_id, initial_window, len(self.flood.body))
            self.out += frame(HEADERS, END_HEADERS, stream_id, self.flood.headers_block)
        self.fill()


class Flood:
    """`connections` peers, each with `streams_per_connection` streams to `path` that send a
    gRPC prefix announcing `announced_bytes` and then `bytes_per_stream` bytes of the message,
    and never end. Driven without threads: `drive` writes as the server takes bytes and parses
    what it answers."""

    def __init__(self, port: int, connections: int, streams_per_connection: int, bytes_per_stream: int,
                 announced_bytes: int, path: str = START_WORKFLOW):
        assert bytes_per_stream < announced_bytes, "the message must stay partial"
        self.streams_per_connection = streams_per_connection
        self.body = memoryview(struct.pack(">BI", 0, announced_bytes) + bytes(bytes_per_stream))
        self.headers_block = literal_block([
            (":method", "POST"), (":scheme", "http"), (":authority", "localhost"), (":path", path),
            ("content-type", "application/grpc"), ("te", "trailers")])
        self.selector = selectors.DefaultSelector()
        self.peers: list[Peer] = []
        for _ in range(connections):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.setblocking(False)
            peer = Peer(self, sock)
            self.peers.append(peer)
            self.selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, peer)
        self.last_progress = time.monotonic()  # when a peer last sent or received bytes

    def streams(self) -> list[Stream]:
        return [stream for peer in self.peers for stream in peer.streams.values()]

    def settled(self) -> bool:
        """Every stream sent all its bytes or was ended by the server (or its connection was)."""
        return all(peer.closed or peer.goaway is not None or (
            len(peer.streams) == self.streams_per_connection
            and all(s.ended or s.finished_sending for s in peer.streams.values()))
            for peer in self.peers)

    def quiet_for(self, seconds: float) -> bool:
        """No peer sent or received anything for `seconds` (e.g. all stalled on flow control)."""
        return time.monotonic() - self.last_progress >= seconds

    def drive(self, seconds: float, until=None) -> bool:
        """Sends and reads for up to `seconds` or until `until()`; returns `until()`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if until is not None and until():
                return True
            for peer in self.peers:
                if peer.closed:
                    continue
                events = selectors.EVENT_READ | (selectors.EVENT_WRITE if peer.wants_to_write() else 0)
                if events != peer.events:
                    self.selector.modify(peer.sock, events, peer)
                    peer.events = events
            for key, events in self.selector.select(timeout=0.05):
                peer = key.data
                if events & selectors.EVENT_READ:
                    peer.read()
                if events & selectors.EVENT_WRITE and not peer.closed:
                    peer.write()
                if peer.closed:
                    self.selector.unregister(peer.sock)
        return until is not None and until()

    def summary(self) -> dict[str, int]:
        streams = self.streams()
        return {
            "streams": self.streams_per_connection * len(self.peers),
            "held (all sent, still open)": sum(1 for s in streams if s.finished_sending and not s.ended),
            "grpc-status 8": sum(1 for s in streams if s.status == "8"),
            "other grpc-status": sum(1 for s in streams if s.status not in (None, "8")),
            "RST_STREAM without a status": sum(1 for s in streams if s.status is None and s.reset is not None),
            "connections closed by the server": sum(1 for p in self.peers if p.closed),
            "GOAWAYs": sum(1 for p in self.peers if p.goaway is not None),
        }

    def close(self):
        for peer in self.peers:
            if not peer.closed:
                self.selector.unregister(peer.sock)
            peer.sock.close()
        self.selector.close()


class RSSSampler(threading.Thread):
    """Samples a process's RSS every 10 ms; `peak` is the largest seen."""

    def __init__(self, read_kib):
        super().__init__(daemon=True)
        self.read_kib = read_kib
        self.peak = read_kib()
        self.running = True

    def run(self):
        while self.running:
            try:
                self.peak = max(self.peak, self.read_kib())
            except (OSError, RuntimeError):
                return
            time.sleep(0.01)

    def stop(self) -> int:
        self.running = False
        self.join()
        return self.peak


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workflowd", default=os.environ.get("WORKFLOWD", ".build/release/workflowd"))
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--streams-per-connection", type=int, default=16)
    parser.add_argument("--bytes-per-stream", type=int, default=1_000_000,
                        help="message bytes each stream sends after the 5-byte prefix")
    parser.add_argument("--announced-bytes", type=int, default=4_000_000,
                        help="message length the prefix announces (at most --max-receive-message-size)")
    parser.add_argument("--hold", type=float, default=2.0, help="seconds the peers stay after sending everything")
    parser.add_argument("--rounds", type=int, default=1, help="floods one after the other against the same server")
    parser.add_argument("--extra-args", default="", help='more workflowd arguments, e.g. "--max-buffered-bytes 67108864"')
    args = parser.parse_args()

    os.environ["WORKFLOWD"] = os.path.abspath(args.workflowd)
    from conftest import Server  # noqa: E402 (after WORKFLOWD is set; generates the Python stubs)

    extra = shlex.split(args.extra_args)
    if "--store" not in extra and "--data-dir" not in extra:
        extra = ["--store", "memory", *extra]
    server = Server(*extra)
    rows, outcomes = [], []
    try:
        warm_up = Flood(server.port, 1, 1, 1024, 2048)
        warm_up.drive(5, until=warm_up.settled)
        warm_up.close()
        time.sleep(1)
        before = server.rss_kib()
        rows.append(("before", before))
        for round_number in range(1, args.rounds + 1):
            label = f"round {round_number}: " if args.rounds > 1 else ""
            sampler = RSSSampler(server.rss_kib)
            sampler.start()
            started = time.monotonic()
            flood = Flood(server.port, args.connections, args.streams_per_connection, args.bytes_per_stream,
                          args.announced_bytes)
            flood.drive(600, until=lambda: flood.settled() or flood.quiet_for(2))
            settled = flood.settled()
            sending = time.monotonic() - started
            flood.drive(args.hold)
            outcomes.append((label, settled, sending, flood.summary()))
            flood.close()
            left = time.monotonic()
            time.sleep(2)
            after_2 = server.rss_kib()
            time.sleep(max(0.0, left + 10 - time.monotonic()))
            after_10 = server.rss_kib()
            rows += [(f"{label}peak", sampler.stop()), (f"{label}2 s after the peers left", after_2),
                     (f"{label}10 s after the peers left", after_10)]
    finally:
        server.stop()

    sent = args.connections * args.streams_per_connection * (args.bytes_per_stream + 5)
    print(f"workflowd: {args.workflowd} {' '.join(extra)}")
    print(f"peers: {args.connections} connections x {args.streams_per_connection} streams x "
          f"{args.bytes_per_stream:,} bytes of a {args.announced_bytes:,}-byte message = {sent / 2**20:,.1f} MiB, "
          f"held {args.hold:g} s after sending")
    for label, settled, sending, summary in outcomes:
        print(f"{label}{'settled' if settled else 'stalled'} in {sending:.1f} s; server: "
              + ", ".join(f"{name} {count}" for name, count in summary.items()))
    print()
    print("| moment | RSS (MiB) | vs before (MiB) |")
    print("|---|---:|---:|")
    for moment, kib in rows:
        print(f"| {moment} | {kib / 1024:.1f} | {'' if moment == 'before' else f'{(kib - before) / 1024:+.1f}'} |")

if __name__ == "__main__":
    main()
