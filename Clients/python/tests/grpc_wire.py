"""What a worker sent on the wire: the WorkerMessages in the bytes a `TCPProxy` recorded, and
the protocol rules they must keep.

The worker speaks gRPC over cleartext HTTP/2: after the 24-byte connection preface come frames
of a 9-byte header (length, type, flags, stream id) and a payload. The DATA frames of a stream
carry its gRPC messages, each a 5-byte prefix (compressed flag, length) and the protobuf
bytes. Headers (HPACK) are not decoded: every stream a worker opens is a Connect call.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Dict, List

from workflow_worker.ledger import LeaseKey, lease_key
from workflow_worker.protos import workflow_pb2 as pb

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
FRAME_HEADER = 9
DATA = 0x0
PADDED = 0x8
MESSAGE_PREFIX = 5


def grpc_messages(sent: bytes) -> List[bytes]:
    """The gRPC messages an HTTP/2 client sent on one connection, stream by stream in order of
    their first frame; a message cut off with the connection is left out."""
    assert sent[:len(PREFACE)] == PREFACE[:len(sent)], "not a cleartext HTTP/2 client connection"
    payloads: Dict[int, bytearray] = defaultdict(bytearray)   # insertion order: first frame
    offset = len(PREFACE)
    while offset + FRAME_HEADER <= len(sent):
        length = int.from_bytes(sent[offset:offset + 3], "big")
        kind, flags = sent[offset + 3], sent[offset + 4]
        stream = int.from_bytes(sent[offset + 5:offset + 9], "big") & 0x7FFF_FFFF
        payload = sent[offset + FRAME_HEADER:offset + FRAME_HEADER + length]
        if len(payload) < length:
            break  # the connection was cut in this frame
        offset += FRAME_HEADER + length
        if kind != DATA:
            continue
        if flags & PADDED:
            payload = payload[1:len(payload) - payload[0]]
        payloads[stream] += payload
    messages = []
    for data in payloads.values():
        at = 0
        while at + MESSAGE_PREFIX <= len(data):
            compressed, length = data[at], int.from_bytes(data[at + 1:at + MESSAGE_PREFIX], "big")
            assert compressed == 0, "the worker compressed a message"
            if at + MESSAGE_PREFIX + length > len(data):
                break
            messages.append(bytes(data[at + MESSAGE_PREFIX:at + MESSAGE_PREFIX + length]))
            at += MESSAGE_PREFIX + length
    return messages


def worker_messages(sent: bytes) -> List[pb.WorkerMessage]:
    """The WorkerMessages of one recorded worker connection, in the order they were sent."""
    return [pb.WorkerMessage.FromString(message) for message in grpc_messages(sent)]


def connections(recorded: List[bytes]) -> List[List[pb.WorkerMessage]]:
    """The WorkerMessages of each recorded connection (`TCPProxy.sent()`), oldest first."""
    return [worker_messages(sent) for sent in recorded]


def of_kind(messages: List[pb.WorkerMessage], kind: str) -> list:
    """The `hello`, `report` or `heartbeat` payloads among `messages`."""
    return [getattr(message, kind) for message in messages if message.WhichOneof("message") == kind]


def reports_of(recorded: List[bytes], workflow_id: str) -> List[pb.JobReport]:
    """Every report sent under a lease of `workflow_id`, resends included, in order."""
    return [report for messages in connections(recorded) for report in of_kind(messages, "report")
            if report.lease.workflow_id == workflow_id]


def protocol_violations(recorded: List[bytes]) -> List[str]:
    """The WorkerService rules the recorded connections of one worker broke (empty: none).

    On each connection the first message is the only hello. Per lease, across connections,
    reports are numbered 1, 2, 3, … with no gap; a number sent again carries the same report;
    nothing follows the report that carries the end.
    """
    violations: List[str] = []
    reports: Dict[LeaseKey, Dict[int, pb.JobReport]] = defaultdict(dict)
    ends: Dict[LeaseKey, int] = {}
    for number, messages in enumerate(connections(recorded), 1):
        kinds = [message.WhichOneof("message") for message in messages]
        if kinds and kinds[0] != "hello":
            violations.append(f"connection {number}: the first message is {kinds[0]}")
        if kinds.count("hello") > 1:
            violations.append(f"connection {number}: {kinds.count('hello')} hellos")
        for report in of_kind(messages, "report"):
            key, sequence = lease_key(report.lease), report.sequence
            sent = reports[key]
            if sequence in sent:
                if sent[sequence] != report:
                    violations.append(f"{_name(key)}: report {sequence} was sent again with other content")
                continue
            if sequence != len(sent) + 1:
                violations.append(f"{_name(key)}: report {sequence} after {len(sent)}")
            if key in ends:
                violations.append(f"{_name(key)}: report {sequence} after the end in report {ends[key]}")
            sent[sequence] = report
            if report.WhichOneof("end"):
                ends[key] = sequence
    return violations


def _name(key: LeaseKey) -> str:
    workflow_id, job_id, attempt, epoch = key
    return f"lease {epoch} (workflow {workflow_id}, attempt {attempt})"

