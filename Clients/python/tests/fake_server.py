"""A scripted WorkerService in this process, for testing the Worker over real gRPC without workflowd.

It applies reports the way workflow.proto says the server does (in sequence per lease, a repeat
acknowledged again and not applied twice, a gap refused), keeps what it applied across
`restart`s (as the real server keeps it on disk), and records every protocol rule a worker
breaks in `violations`. Tests push assignments and cancellations with `assign` and `cancel`.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent import futures
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import grpc

from workflow_worker.ledger import lease_key
from workflow_worker.protos import workflow_pb2 as pb
from workflow_worker.protos import workflow_pb2_grpc as pb_grpc

Key = Tuple[str, str, int, int]


@dataclass
class AppliedLease:
    """What the fake applied under one lease."""

    token: pb.LeaseToken
    reports: List[pb.JobReport] = field(default_factory=list)
    live: bool = True

    @property
    def sequence(self) -> int:
        return len(self.reports)

    @property
    def steps(self) -> List[str]:
        return [u.step.message for r in self.reports for u in r.updates if u.HasField("step")]

    @property
    def ends(self) -> List[pb.JobReport]:
        return [r for r in self.reports if r.WhichOneof("end")]

    @property
    def counters(self) -> Dict[str, int]:
        return dict(self.reports[-1].counters) if self.reports else {}


class Connection:
    """One worker stream as the fake sees it."""

    def __init__(self):
        self.received: List[pb.WorkerMessage] = []
        self.outbox: "queue.Queue[Optional[pb.ServerMessage]]" = queue.Queue()
        self.hello: Optional[pb.WorkerHello] = None
        self.ended = threading.Event()

    def send(self, message: pb.ServerMessage) -> None:
        self.outbox.put(message)

    def heartbeats(self) -> List[pb.WorkerHeartbeat]:
        return [m.heartbeat for m in list(self.received) if m.WhichOneof("message") == "heartbeat"]


class FakeWorkerService(pb_grpc.WorkerServiceServicer):
    def __init__(self, heartbeat_interval_ms: int = 200):
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.lock = threading.Condition()
        self.connections: List[Connection] = []
        self.leases: Dict[Key, AppliedLease] = {}
        self.violations: List[str] = []
        self.ack = True            # acknowledge applied reports
        self.epoch = 0

    # -- test side

    def wait(self, condition, timeout: float = 10.0, what: str = "a condition"):
        deadline = time.monotonic() + timeout
        with self.lock:
            while not condition():
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"timed out after {timeout} s waiting for {what}"
                self.lock.wait(min(remaining, 0.05))

    def current(self, timeout: float = 10.0) -> Connection:
        """The newest connection that said hello."""
        self.wait(lambda: any(c.hello is not None and not c.ended.is_set() for c in self.connections),
                  timeout, "a worker to connect")
        with self.lock:
            return [c for c in self.connections if c.hello is not None and not c.ended.is_set()][-1]

    def assign(self, queue_name: str = "q", params: Optional[Dict[str, str]] = None, job_name: str = "Process Data",
               connection: Optional[Connection] = None, heartbeat_timeout_ms: int = 5000) -> pb.LeaseToken:
        connection = connection or self.current()
        with self.lock:
            self.epoch += 1
            token = pb.LeaseToken(workflow_id=f"wf-{self.epoch}", job_id=f"job-{self.epoch}", attempt=1, epoch=self.epoch)
            self.leases[lease_key(token)] = AppliedLease(token)
        connection.send(pb.ServerMessage(assignment=pb.JobAssignment(
            lease=token, queue=queue_name, workflow_type="FAKE", job_name=job_name, params=params or {},
            idempotency_key=f"idem-{self.epoch}", heartbeat_timeout_ms=heartbeat_timeout_ms, user_id="tester")))
        return token

    def cancel(self, token: pb.LeaseToken, lease_ended: bool, reason: str = "workflow cancelled") -> None:
        if lease_ended:
            with self.lock:
                self.leases[lease_key(token)].live = False
        self.current().send(pb.ServerMessage(cancellation=pb.JobCancellation(
            lease=token, reason=reason, lease_ended=lease_ended)))

    def lease(self, token: pb.LeaseToken) -> AppliedLease:
        with self.lock:
            return self.leases[lease_key(token)]

    def ended(self, token: pb.LeaseToken) -> bool:
        with self.lock:
            return bool(self.leases[lease_key(token)].ends)

    def wait_end(self, token: pb.LeaseToken, timeout: float = 10.0) -> pb.JobReport:
        self.wait(lambda: bool(self.leases[lease_key(token)].ends), timeout, "the job's end")
        with self.lock:
            return self.leases[lease_key(token)].ends[0]

    def drop_connections(self) -> None:
        """Ends every stream at once (as a crash would)."""
        with self.lock:
            connections = list(self.connections)
        for connection in connections:
            connection.outbox.put(None)

    # -- the service

    def Connect(self, request_iterator, context):
        connection = Connection()
        with self.lock:
            self.connections.append(connection)
            self.lock.notify_all()

        def read():
            try:
                for message in request_iterator:
                    with self.lock:
                        connection.received.append(message)
                        self._apply(connection, message)
                        self.lock.notify_all()
            except Exception:
                pass
            finally:
                connection.outbox.put(None)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            while context.is_active():
                try:
                    message = connection.outbox.get(timeout=0.1)
                except queue.Empty:
                    continue
                if message is None:
                    break
                yield message
        finally:
            with self.lock:
                connection.ended.set()
                self.lock.notify_all()

    def ListWorkers(self, request, context):
        return pb.ListWorkersResponse()

    def _apply(self, connection: Connection, message: pb.WorkerMessage) -> None:
        kind = message.WhichOneof("message")
        if connection.hello is None:
            if kind != "hello":
                self.violations.append(f"first message was {kind}")
                return
            connection.hello = message.hello
            resumed = []
            for token in message.hello.held_leases:
                applied = self.leases.get(lease_key(token))
                if applied is not None and applied.live:
                    resumed.append(pb.ReportAck(lease=token, sequence=applied.sequence))
            connection.send(pb.ServerMessage(welcome=pb.WorkerWelcome(
                heartbeat_interval_ms=self.heartbeat_interval_ms, resumed_leases=resumed)))
            return
        if kind == "hello":
            self.violations.append("a second hello")
        elif kind == "report":
            self._apply_report(connection, message.report)

    def _apply_report(self, connection: Connection, report: pb.JobReport) -> None:
        applied = self.leases.get(lease_key(report.lease))
        if applied is None:
            connection.send(pb.ServerMessage(refusal=pb.ReportRefusal(
                lease=report.lease, sequence=report.sequence, code=5, message="unknown lease")))
            return
        if report.sequence <= applied.sequence:
            if applied.reports[report.sequence - 1] != report:
                self.violations.append(f"report {report.sequence} was resent with other content")
            if self.ack:
                connection.send(pb.ServerMessage(ack=pb.ReportAck(lease=report.lease, sequence=applied.sequence)))
            return
        if not applied.live:
            connection.send(pb.ServerMessage(refusal=pb.ReportRefusal(
                lease=report.lease, sequence=report.sequence, code=9, message="lease ended")))
            return
        if report.sequence != applied.sequence + 1:
            self.violations.append(f"gap: report {report.sequence} after {applied.sequence}")
            connection.send(pb.ServerMessage(refusal=pb.ReportRefusal(
                lease=report.lease, sequence=report.sequence, code=11, message="gap")))
            return
        if applied.ends:
            self.violations.append(f"report {report.sequence} after the end")
        applied.reports.append(report)
        if report.WhichOneof("end"):
            applied.live = False
        if self.ack:
            connection.send(pb.ServerMessage(ack=pb.ReportAck(lease=report.lease, sequence=report.sequence)))


class FakeServer:
    """A gRPC server running a FakeWorkerService on a fixed port; `restart` keeps its state."""

    def __init__(self, service: Optional[FakeWorkerService] = None):
        self.service = service or FakeWorkerService()
        self.port = 0
        self._server = None
        self.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
        pb_grpc.add_WorkerServiceServicer_to_server(self.service, server)
        self.port = server.add_insecure_port(f"127.0.0.1:{self.port}")
        assert self.port, "could not bind the fake server"
        server.start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self.service.drop_connections()
            self._server.stop(grace=0).wait()
            self._server = None

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()
