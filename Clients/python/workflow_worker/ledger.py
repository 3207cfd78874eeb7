"""What the worker owes the server, lease by lease: a state machine with no I/O and no threads.

The `Worker` calls a `Ledger` under one lock from three sides: its job threads record the
ActionLogger calls of their assignments, its sender takes the messages to write on the
stream, and its reader feeds in what the server sent. The ledger answers with messages to send
and `Action`s to carry out (run a job, cancel one, reconnect), so every rule of the protocol
lives here and is tested without a server (tests/test_ledger.py):

- Reports are numbered 1, 2, 3, … per lease. Each carries the calls logged since the previous
  one, in order, the counters' absolute values, and in the last one the attempt's end.
- A report is kept until the server acknowledges it (or a later one); after a reconnect every
  unacknowledged report is sent again, in order, under the same number and with the same
  content, so the server applies each call exactly once.
- Calls are buffered, not sent one by one: a report is cut once the oldest buffered call is
  `flush_interval` old, once `max_updates_per_report` calls (or `max_report_bytes`) are
  buffered, and at once when the end is recorded.
- A lease the server says is over (cancellation with `lease_ended`, refusal with
  FAILED_PRECONDITION, NOT_FOUND or INVALID_ARGUMENT, not resumed after a reconnect) is
  abandoned: its pending reports are dropped, its job is told to stop, and its later calls are
  ignored.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Set, Tuple, Union

from .protos import workflow_pb2 as pb

LeaseKey = Tuple[str, str, int, int]
"""A lease's identity: (workflow_id, job_id, attempt, epoch)."""


def lease_key(token: pb.LeaseToken) -> LeaseKey:
    """The identity of `token`."""
    return (token.workflow_id, token.job_id, token.attempt, token.epoch)


class RefusalCode:
    """The gRPC status codes a `ReportRefusal` carries (see workflow.proto)."""

    INVALID_ARGUMENT = 3
    """The report was malformed: the lease is abandoned (sending it again cannot help)."""
    NOT_FOUND = 5
    """The workflow or job is unknown: the lease is abandoned."""
    FAILED_PRECONDITION = 9
    """The lease ended or was replaced: the attempt is decided without this report."""
    OUT_OF_RANGE = 11
    """A report came after a gap: the stream is reopened and every unacknowledged report sent again."""


class LeasePhase(enum.Enum):
    """Where one lease stands, from the worker's side."""

    ACTIVE = "active"
    """The job runs (or waits for a thread) and may log. Next: ENDED, ABANDONED."""
    ENDED = "ended"
    """The end is recorded; reports wait to be sent or acknowledged. Next: SETTLED, ABANDONED."""
    SETTLED = "settled"
    """Every report of the lease, the end included, is durable. Terminal."""
    ABANDONED = "abandoned"
    """The lease is over on the server; nothing more is sent under it. Terminal."""


class StreamPhase(enum.Enum):
    """The state of the Connect stream, as far as reports are concerned."""

    DISCONNECTED = "disconnected"
    """No stream. Next: GREETING (a stream opened and its hello is out)."""
    GREETING = "greeting"
    """The hello is out; nothing else may be sent before the welcome. Next: READY, DISCONNECTED."""
    READY = "ready"
    """Welcomed: reports and heartbeats flow. Next: DISCONNECTED."""


@dataclass(frozen=True)
class End:
    """How an attempt ends: the `end` of its last report."""

    kind: str
    """"completed", "failed" or "released": the name of the JobReport `end` field to set."""
    message: Union[pb.JobCompletion, pb.JobFailure, pb.JobRelease]

    @staticmethod
    def completed(outputs: Optional[Dict[str, str]] = None) -> "End":
        """The job's work is done; `outputs` are what it hands on (checked by the caller)."""
        return End("completed", pb.JobCompletion(outputs=outputs or {}))

    @staticmethod
    def failed(error: str, stack: str = "", code: str = "", do_not_retry: bool = False) -> "End":
        """The attempt failed; the job's retry policy decides what follows."""
        return End("failed", pb.JobFailure(error=error or "job failed", stack=stack or "",
                                           error_code=code or "", do_not_retry=do_not_retry))

    @staticmethod
    def released(reason: str) -> "End":
        """The worker hands the attempt back unfinished (a graceful stop)."""
        return End("released", pb.JobRelease(reason=reason))


@dataclass(frozen=True)
class RunJob:
    """Run the job of a new assignment (in a free slot)."""

    key: LeaseKey
    assignment: pb.JobAssignment


@dataclass(frozen=True)
class CancelJob:
    """Tell a running job to stop (set its context's cancellation)."""

    key: LeaseKey
    reason: str
    lease_ended: bool
    """The lease is over: the job's later calls are ignored and its end is not sent."""


@dataclass(frozen=True)
class Resync:
    """Close the stream and open a new one (the server's view of the reports is not ours)."""

    reason: str


Action = Union[RunJob, CancelJob, Resync]


@dataclass
class _Lease:
    token: pb.LeaseToken
    # Seconds the server keeps the lease without a heartbeat (0: not known, e.g. resumed).
    heartbeat_timeout: float = 0.0
    phase: LeasePhase = LeasePhase.ACTIVE
    job_running: bool = False
    # Calls logged and not yet in a report, with their encoded sizes.
    buffer: List[pb.JobUpdate] = field(default_factory=list)
    buffer_sizes: List[int] = field(default_factory=list)
    buffer_bytes: int = 0
    # When the oldest call or counter change not yet in a report was made (None: none is).
    dirty_since: Optional[float] = None
    counters: Dict[str, int] = field(default_factory=dict)
    end: Optional[End] = None            # recorded, not yet in a report
    end_sequence: Optional[int] = None   # the report that carries the end
    next_sequence: int = 1
    unacked: List[pb.JobReport] = field(default_factory=list)
    sent_through: int = 0                # on the current stream
    acked_through: int = 0

    @property
    def open(self) -> bool:
        """The lease is still ours on the server (or may be): a hello lists it as held."""
        return self.phase in (LeasePhase.ACTIVE, LeasePhase.ENDED)

    @property
    def has_unsent(self) -> bool:
        return self.sent_through < self.next_sequence - 1


class Ledger:
    """The per-lease report book of one worker (see the module docstring).

    Not thread-safe: the owner serialises every call (the `Worker` holds one lock).
    Times are `time.monotonic()` seconds, passed in so that tests choose them.

    Example, as the worker drives it::

        ledger = Ledger()
        send(ledger.open_stream(pb.WorkerHello(name="w", instance_id="w-1", queues=["q"], slots=1)))
        ledger.receive(pb.ServerMessage(welcome=pb.WorkerWelcome(heartbeat_interval_ms=1000)), now)
        [run] = ledger.receive(pb.ServerMessage(assignment=assignment), now)   # RunJob
        ledger.log(run.key, pb.JobUpdate(step=pb.StepReport(message="Created P-101")), now)
        ledger.finish(run.key, End.completed(), now)
        for message in ledger.take_outgoing(now):                             # one JobReport
            send(message)
    """

    def __init__(self, *, flush_interval: float = 0.02, max_updates_per_report: int = 256,
                 max_report_bytes: int = 1 << 20, default_heartbeat_interval: float = 5.0,
                 release_reason: str = "worker stopping"):
        if flush_interval < 0 or max_updates_per_report < 1 or max_report_bytes < 1:
            raise ValueError("flush_interval must be >= 0 and the report limits >= 1")
        self.flush_interval = flush_interval
        self.max_updates_per_report = max_updates_per_report
        self.max_report_bytes = max_report_bytes
        self.default_heartbeat_interval = default_heartbeat_interval
        self.release_reason = release_reason
        self.stream = StreamPhase.DISCONNECTED
        self.stopping = False
        self.heartbeat_interval: Optional[float] = None
        self._next_heartbeat_at: Optional[float] = None
        self._leases: Dict[LeaseKey, _Lease] = {}
        self._held: Set[LeaseKey] = set()

    # ------------------------------------------------------------------ the stream

    def open_stream(self, hello: pb.WorkerHello) -> pb.WorkerMessage:
        """A stream opened: the hello to send first.

        It lists as `held_leases` every lease not yet over: jobs still running and ended jobs
        whose reports are not all acknowledged. Nothing else is sent until the welcome.
        """
        self.close_stream()
        held = [lease for lease in self._leases.values() if lease.open]
        self._held = {lease_key(lease.token) for lease in held}
        message = pb.WorkerMessage(hello=hello)
        del message.hello.held_leases[:]
        message.hello.held_leases.extend(lease.token for lease in held)
        self.stream = StreamPhase.GREETING
        return message

    def close_stream(self) -> None:
        """The stream ended: every unacknowledged report is to be sent again on the next one."""
        self.stream = StreamPhase.DISCONNECTED
        self._held = set()
        self._next_heartbeat_at = None
        for lease in self._leases.values():
            lease.sent_through = lease.acked_through

    # ------------------------------------------------------------------ the server

    def receive(self, message: pb.ServerMessage, now: float) -> List[Action]:
        """Applies one message from the server; returns what the worker must do about it."""
        kind = message.WhichOneof("message")
        if self.stream is StreamPhase.DISCONNECTED:
            return []  # from a stream already given up
        if self.stream is StreamPhase.GREETING and kind != "welcome":
            return [Resync(f"the server sent {kind or 'an empty message'} before its welcome")]
        if kind == "welcome":
            if self.stream is not StreamPhase.GREETING:
                return [Resync("the server sent a second welcome")]
            return self._welcomed(message.welcome, now)
        if kind == "assignment":
            return self._assigned(message.assignment, now)
        if kind == "ack":
            self._acknowledge(message.ack.lease, message.ack.sequence)
            return []
        if kind == "refusal":
            return self._refused(message.refusal)
        if kind == "cancellation":
            return self._cancelled(message.cancellation)
        return []  # a message kind newer than this library: nothing to do

    def _welcomed(self, welcome: pb.WorkerWelcome, now: float) -> List[Action]:
        self.stream = StreamPhase.READY
        interval_ms = welcome.heartbeat_interval_ms
        self.heartbeat_interval = interval_ms / 1000 if interval_ms > 0 else self.default_heartbeat_interval
        # A stopping worker says so at once; otherwise the first heartbeat comes within the
        # shortest timeout of the leases the server just gave back.
        self._next_heartbeat_at = -math.inf if self.stopping else now + self.heartbeat_period
        resumed = {lease_key(ack.lease): ack.sequence for ack in welcome.resumed_leases}
        actions: List[Action] = []
        for key in sorted(self._held):
            lease = self._leases.get(key)
            if lease is None or not lease.open:
                continue
            if key in resumed:
                self._acknowledge(lease.token, resumed[key])
                lease.sent_through = lease.acked_through
            else:
                actions += self._abandon(key, "the server did not give the lease back after the reconnect")
        self._held = set()
        return actions

    def _assigned(self, assignment: pb.JobAssignment, now: float) -> List[Action]:
        key = lease_key(assignment.lease)
        if key in self._leases:
            return []  # already ours
        lease = _Lease(token=assignment.lease, heartbeat_timeout=assignment.heartbeat_timeout_ms / 1000)
        self._leases[key] = lease
        if self._next_heartbeat_at is not None:
            self._next_heartbeat_at = min(self._next_heartbeat_at, now + self.heartbeat_period)
        if self.stopping:
            # Cannot un-ask the server: hand it back unrun.
            lease.phase = LeasePhase.ENDED
            lease.end = End.released(self.release_reason)
            lease.dirty_since = now
            return []
        lease.job_running = True
        return [RunJob(key, assignment)]

    def _acknowledge(self, token: pb.LeaseToken, sequence: int) -> None:
        lease = self._leases.get(lease_key(token))
        if lease is None or not lease.open:
            return
        sequence = min(sequence, lease.next_sequence - 1)  # never past what was cut
        if sequence <= lease.acked_through:
            return
        lease.acked_through = sequence
        lease.sent_through = max(lease.sent_through, sequence)
        lease.unacked = [report for report in lease.unacked if report.sequence > sequence]
        if lease.end_sequence is not None and sequence >= lease.end_sequence:
            lease.phase = LeasePhase.SETTLED
            self._forget_if_done(lease_key(token))

    def _refused(self, refusal: pb.ReportRefusal) -> List[Action]:
        key = lease_key(refusal.lease)
        lease = self._leases.get(key)
        if lease is None or not lease.open or refusal.sequence <= lease.acked_through:
            return []  # over already, or a stale refusal of a report since acknowledged
        detail = refusal.message or f"code {refusal.code}"
        if refusal.code == RefusalCode.OUT_OF_RANGE:
            return [Resync(f"report {refusal.sequence} was refused after a gap: {detail}")]
        return self._abandon(key, f"report {refusal.sequence} was refused: {detail}")

    def _cancelled(self, cancellation: pb.JobCancellation) -> List[Action]:
        key = lease_key(cancellation.lease)
        lease = self._leases.get(key)
        reason = cancellation.reason or "cancelled by the server"
        if lease is None or not lease.open:
            return []
        if cancellation.lease_ended:
            return self._abandon(key, reason)
        if lease.phase is LeasePhase.ACTIVE and lease.job_running:
            return [CancelJob(key, reason, lease_ended=False)]
        return []

    def _abandon(self, key: LeaseKey, reason: str) -> List[Action]:
        lease = self._leases[key]
        was_active = lease.phase is LeasePhase.ACTIVE
        lease.phase = LeasePhase.ABANDONED
        lease.buffer, lease.buffer_sizes, lease.buffer_bytes = [], [], 0
        lease.unacked, lease.end, lease.dirty_since = [], None, None
        running = lease.job_running
        self._forget_if_done(key)
        return [CancelJob(key, reason, lease_ended=True)] if running and was_active else []

    # ------------------------------------------------------------------ the jobs

    def log(self, key: LeaseKey, update: pb.JobUpdate, now: float) -> bool:
        """Buffers one step or progress update of a running job.

        Returns:
            Whether the sender should wake up (the buffer just stopped being empty or filled a
            report). False too when the call is ignored: the job ended or its lease is over.
        """
        lease = self._leases.get(key)
        if lease is None or lease.phase is not LeasePhase.ACTIVE:
            return False
        size = update.ByteSize()
        lease.buffer.append(update)
        lease.buffer_sizes.append(size)
        lease.buffer_bytes += size
        first = lease.dirty_since is None
        if first:
            lease.dirty_since = now
        return first or self._full(lease)

    def update_counters(self, key: LeaseKey, changes: Dict[str, int], *, absolute: bool, now: float) -> bool:
        """Sets (`absolute`) or adds to counters of a running job; returns whether to wake the sender."""
        lease = self._leases.get(key)
        if lease is None or lease.phase is not LeasePhase.ACTIVE or not changes:
            return False
        for name, value in changes.items():
            lease.counters[name] = value if absolute else lease.counters.get(name, 0) + value
        first = lease.dirty_since is None
        if first:
            lease.dirty_since = now
        return first

    def counters(self, key: LeaseKey) -> Dict[str, int]:
        """A copy of a lease's counters (empty once it is forgotten)."""
        lease = self._leases.get(key)
        return dict(lease.counters) if lease is not None else {}

    def phase(self, key: LeaseKey) -> Optional[LeasePhase]:
        """Where a lease stands; None once it is forgotten (over and its job returned)."""
        lease = self._leases.get(key)
        return lease.phase if lease is not None else None

    def finish(self, key: LeaseKey, end: End, now: float) -> bool:
        """Records the end of a running job's attempt, once.

        Returns:
            True if this was the end; False if the job had ended already or its lease is over
            (the call changes nothing).
        """
        lease = self._leases.get(key)
        if lease is None or lease.phase is not LeasePhase.ACTIVE:
            return False
        lease.phase = LeasePhase.ENDED
        lease.end = end
        if lease.dirty_since is None:
            lease.dirty_since = now
        return True

    def job_returned(self, key: LeaseKey, now: float) -> None:
        """The job's thread is done with it (whatever the job did, the slot is free).

        A job that returned without an end (which the worker never lets happen) fails here,
        so that every attempt ends.
        """
        lease = self._leases.get(key)
        if lease is None:
            return
        lease.job_running = False
        if lease.phase is LeasePhase.ACTIVE:
            self.finish(key, End.failed("the job's thread ended without reporting an end"), now)
        self._forget_if_done(key)

    def _forget_if_done(self, key: LeaseKey) -> None:
        lease = self._leases[key]
        if not lease.open and not lease.job_running:
            del self._leases[key]

    # ------------------------------------------------------------------ stopping

    def begin_stop(self) -> None:
        """Assignments from now on are handed back unrun (released); the next heartbeat, due at
        once, and every later one tell the server the worker is draining."""
        self.stopping = True
        if self._next_heartbeat_at is not None:
            self._next_heartbeat_at = -math.inf

    def release_active(self, now: float, reason: Optional[str] = None) -> List[Action]:
        """Ends every running job's attempt as released; returns the cancellations to deliver."""
        reason = reason or self.release_reason
        actions: List[Action] = []
        for key, lease in self._leases.items():
            if lease.phase is LeasePhase.ACTIVE:
                lease.phase = LeasePhase.ENDED
                lease.end = End.released(reason)
                if lease.dirty_since is None:
                    lease.dirty_since = now
                if lease.job_running:
                    actions.append(CancelJob(key, reason, lease_ended=True))
        return actions

    @property
    def idle(self) -> bool:
        """No job runs and every report is durable (or its lease over)."""
        return not self._leases

    @property
    def settled(self) -> bool:
        """Every lease is over: nothing is left to send or to be acknowledged."""
        return all(not lease.open for lease in self._leases.values())

    @property
    def jobs_running(self) -> int:
        """How many jobs hold a slot (running, or waiting for a thread)."""
        return sum(1 for lease in self._leases.values() if lease.job_running)

    def open_leases(self) -> List[pb.LeaseToken]:
        """The leases not yet over (a hello's `held_leases`)."""
        return [lease.token for lease in self._leases.values() if lease.open]

    def running_leases(self) -> List[pb.LeaseToken]:
        """What a heartbeat lists: the open leases whose end is not on its way yet.

        A lease whose end report went out is over for the server as soon as it applies it; a
        heartbeat naming it then would only earn a cancellation.
        """
        return [lease.token for lease in self._leases.values()
                if lease.open and (lease.end_sequence is None or lease.sent_through < lease.end_sequence)]

    # ------------------------------------------------------------------ the sender

    def take_outgoing(self, now: float) -> List[pb.WorkerMessage]:
        """The messages to write now: reports that are due, then a heartbeat if one is due.

        Nothing before the welcome. Reports left unacknowledged by an earlier stream come
        first, unchanged. The returned reports count as sent on this stream.
        """
        if self.stream is not StreamPhase.READY:
            return []
        messages: List[pb.WorkerMessage] = []
        for lease in self._leases.values():
            if not lease.open:
                continue
            if lease.dirty_since is not None and self._due(lease, now):
                self._cut(lease)
            for report in lease.unacked:
                if report.sequence > lease.sent_through:
                    messages.append(pb.WorkerMessage(report=report))
                    lease.sent_through = report.sequence
        if self._next_heartbeat_at is not None and now >= self._next_heartbeat_at:
            messages.append(pb.WorkerMessage(heartbeat=pb.WorkerHeartbeat(leases=self.running_leases(), draining=self.stopping)))
            self._next_heartbeat_at = now + self.heartbeat_period
        return messages

    @property
    def heartbeat_period(self) -> float:
        """Seconds between heartbeats: the welcome's interval, or a quarter of the shortest
        heartbeat timeout of the leases held when that is shorter."""
        period = self.heartbeat_interval or self.default_heartbeat_interval
        timeouts = [lease.heartbeat_timeout for lease in self._leases.values() if lease.open and lease.heartbeat_timeout > 0]
        return min([period] + [timeout / 4 for timeout in timeouts])

    def next_wake(self, now: float) -> Optional[float]:
        """Seconds until `take_outgoing` has something to send; None for "not until told"."""
        if self.stream is not StreamPhase.READY:
            return None
        due = self._next_heartbeat_at if self._next_heartbeat_at is not None else math.inf
        for lease in self._leases.values():
            if not lease.open:
                continue
            if lease.has_unsent:
                return 0.0
            if lease.dirty_since is not None:
                due = min(due, now if self._urgent(lease) else lease.dirty_since + self.flush_interval)
        return None if due == math.inf else max(0.0, due - now)

    def _due(self, lease: _Lease, now: float) -> bool:
        return self._urgent(lease) or now - lease.dirty_since >= self.flush_interval

    def _urgent(self, lease: _Lease) -> bool:
        return lease.end is not None or self._full(lease)

    def _full(self, lease: _Lease) -> bool:
        return len(lease.buffer) >= self.max_updates_per_report or lease.buffer_bytes >= self.max_report_bytes

    def _cut(self, lease: _Lease) -> None:
        """Turns everything buffered (and the end) into the next reports, in order."""
        while True:
            count, size = 0, 0
            while count < len(lease.buffer) and count < self.max_updates_per_report:
                if count > 0 and size + lease.buffer_sizes[count] > self.max_report_bytes:
                    break
                size += lease.buffer_sizes[count]
                count += 1
            report = pb.JobReport(lease=lease.token, sequence=lease.next_sequence,
                                  updates=lease.buffer[:count], counters=lease.counters)
            del lease.buffer[:count], lease.buffer_sizes[:count]
            lease.buffer_bytes -= size
            last = not lease.buffer
            if last and lease.end is not None:
                getattr(report, lease.end.kind).CopyFrom(lease.end.message)
                lease.end_sequence = lease.next_sequence
                lease.end = None
            lease.unacked.append(report)
            lease.next_sequence += 1
            if last:
                break
        lease.dirty_since = None


def updates_in(reports: Iterable[pb.JobReport]) -> List[pb.JobUpdate]:
    """Every update of `reports`, in order (for tests and diagnostics)."""
    return [update for report in reports for update in report.updates]
