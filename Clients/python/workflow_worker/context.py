"""`JobContext`: one assignment as its job sees it, and the ActionLogger it reports with."""

from __future__ import annotations

import math
import operator
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Protocol, Union

from .errors import JobCancelled
from .levels import Level, LevelLike
from .ledger import End, LeaseKey, LeasePhase, lease_key
from .outputs import JobInputs, Outputs
from .protos import workflow_pb2 as pb

MAX_MESSAGE_CHARS = 16 * 1024
"""Longer step and progress messages and errors are cut to this length (with "…")."""
MAX_STACK_CHARS = 256 * 1024
"""Longer stack traces keep their last this many characters (where the error was raised)."""
MAX_ENTITY_CHARS = 1024
"""Longer entity tags, routes, ids and types are cut to this length."""
_INT64 = (-(1 << 63), (1 << 63) - 1)


@dataclass(frozen=True)
class Lease:
    """Names one attempt of one job handed to this worker (workflow.v1.LeaseToken)."""

    workflow_id: str
    job_id: str
    attempt: int
    epoch: int


class Recorder(Protocol):
    """Where a context records its calls: the worker's ledger, behind the worker's lock.

    Every method returns at once; none touches the network.
    """

    def log(self, key: LeaseKey, update: pb.JobUpdate) -> None: ...
    def update_counters(self, key: LeaseKey, changes: Dict[str, int], absolute: bool) -> None: ...
    def finish(self, key: LeaseKey, end: End) -> bool: ...
    def counters(self, key: LeaseKey) -> Dict[str, int]: ...
    def phase(self, key: LeaseKey) -> Optional[LeasePhase]: ...


class JobContext:
    """One attempt of a remote job: what to run, its cancellation, the ActionLogger calls and
    the outputs it hands on.

    The worker makes one per assignment and passes it to the job function registered for the
    assignment's queue. Every logging call returns at once: it appends to this assignment's
    buffer, which the worker sends as numbered reports in the background (see `Worker`).

    A job reads the earlier jobs' outputs from `inputs` and hands values on to the later ones
    with `set_output`; they are sent with the completion and count only if the attempt completes.

    The attempt ends exactly once. A job function that returns ends it `complete`d (a returned
    mapping is merged into the counters first); one that raises `JobFailed` or any other
    exception ends it failed with the error and its traceback. `complete` and `fail` end it
    explicitly; whatever the function does afterwards changes nothing. Once the attempt ended,
    or the server took the lease back, every call here is a no-op.

    Example::

        @worker.job("import")
        def process(ctx: JobContext):
            rows = load(ctx.params["file_path"])
            for n, row in enumerate(rows, 1):
                if ctx.cancelled:
                    return                      # ends the attempt failed with code CANCELLED
                create(row, idempotency_key=f"{ctx.idempotency_key}/{row['tag']}")
                ctx.log_step(f"Created {row['tag']}", entity_tag=row["tag"], entity_type="asset")
                ctx.increment("itemsCreated")
                ctx.update_progress(n / len(rows), f"Processing {n}/{len(rows)} items")
            ctx.set_output("rows_ready", len(rows))  # the later jobs read ctx.inputs["rows_ready"]
            return {"itemsProcessed": len(rows)}   # completes with these counters
    """

    def __init__(self, assignment: pb.JobAssignment, recorder: Recorder):
        self._assignment = assignment
        self._recorder = recorder
        self._key = lease_key(assignment.lease)
        self._params = dict(assignment.params)
        self._inputs = JobInputs.from_assignment(assignment)
        self._outputs = Outputs()
        self._outputs_lock = threading.Lock()
        self._cancel_reason: Optional[str] = None
        self._lease_over = False
        self._ended_here = False
        self.cancel_event = threading.Event()
        """Set once the server cancelled this assignment (or the worker is stopping and released
        it): wait on it, or poll `cancelled`."""

    # ------------------------------------------------------------------ what to run

    @property
    def lease(self) -> Lease:
        """The attempt's lease."""
        token = self._assignment.lease
        return Lease(token.workflow_id, token.job_id, token.attempt, token.epoch)

    @property
    def workflow_id(self) -> str:
        """The workflow the job belongs to."""
        return self._assignment.lease.workflow_id

    @property
    def workflow_type(self) -> str:
        """The workflow's type, e.g. "REMOTE_IMPORT"."""
        return self._assignment.workflow_type

    @property
    def job_id(self) -> str:
        """The job's id."""
        return self._assignment.lease.job_id

    @property
    def job_name(self) -> str:
        """The job's name, e.g. "Process Data"."""
        return self._assignment.job_name

    @property
    def job_position(self) -> int:
        """The job's zero-based position in its workflow."""
        return self._assignment.job_position

    @property
    def attempt(self) -> int:
        """1 for the job's first run, plus one per run after it."""
        return self._assignment.lease.attempt

    @property
    def queue(self) -> str:
        """The queue the job waited in."""
        return self._assignment.queue

    @property
    def params(self) -> Dict[str, str]:
        """The parameters the workflow was started with (and its template's defaults)."""
        return self._params

    @property
    def idempotency_key(self) -> str:
        """The same for every attempt of this job, different for every other job.

        Attempts can repeat (a worker dies mid-way, a lease expires, a retry): pass this key
        (or keys derived from it) to the systems the job changes so they do the work once.
        """
        return self._assignment.idempotency_key

    @property
    def user_id(self) -> str:
        """Who started the workflow."""
        return self._assignment.user_id

    @property
    def heartbeat_timeout(self) -> float:
        """Seconds without a heartbeat after which the server ends the lease (the worker
        heartbeats for you)."""
        return self._assignment.heartbeat_timeout_ms / 1000

    @property
    def deadline_at_ms(self) -> Optional[int]:
        """When the attempt times out, in Unix epoch milliseconds; None for no timeout."""
        return self._assignment.deadline_at_ms or None

    @property
    def inputs(self) -> JobInputs:
        """The outputs of the jobs before this one in the workflow.

        A mapping from output name to the value of the latest earlier job that set it, with
        `inputs.of_job(name)` for one job's outputs and `inputs.jobs` for all of them in order::

            rows = int(ctx.inputs["rows_read"])
            file_id = ctx.inputs.of_job("Fetch External Assets").get("file_id")
        """
        return self._inputs

    @property
    def assignment(self) -> pb.JobAssignment:
        """The assignment message itself."""
        return self._assignment

    # ------------------------------------------------------------------ cancellation

    @property
    def cancelled(self) -> bool:
        """Whether the server asked this assignment to stop (workflow cancelled, attempt timed
        out, lease ended) or the worker released it while stopping. Check it between units of
        work and return (or raise) soon after it turns true."""
        return self.cancel_event.is_set()

    @property
    def cancel_reason(self) -> Optional[str]:
        """Why the assignment was cancelled; None while it is not."""
        return self._cancel_reason

    def raise_if_cancelled(self) -> None:
        """Raises `JobCancelled` if the assignment was cancelled."""
        if self.cancel_event.is_set():
            raise JobCancelled(self._cancel_reason or "cancelled")

    @property
    def ended(self) -> bool:
        """Whether this attempt is over for the job: its end was recorded, or its lease was
        taken back. Every logging call is then a no-op."""
        return self._ended_here or self._lease_over or self._recorder.phase(self._key) is not LeasePhase.ACTIVE

    # ------------------------------------------------------------------ the ActionLogger

    def start(self, message: Optional[str] = None, *, level: LevelLike = Level.INFO) -> None:
        """Marks the start of the job's work; kept for the ActionLogger's shape.

        The server already recorded the job (and this attempt) as started when it assigned it,
        so without a message this does nothing; with one it logs it as a step, e.g.
        `ctx.start(f"Started {ctx.job_name}")`.
        """
        if message is not None:
            self.log_step(message, level=level)

    def log_step(self, message: str, level: LevelLike = Level.INFO, *, entity_tag: Optional[str] = None,
                 entity_route: Optional[str] = None, entity_id: Optional[str] = None,
                 entity_type: Optional[str] = None) -> None:
        """Records one operation of the job, e.g. "Created P-101", in the order of the calls.

        Never blocks on the network. The step gets this moment as its timestamp.

        Args:
            message: What happened; not empty. Cut to `MAX_MESSAGE_CHARS`.
            level: "DEBUG", "INFO", "WARN" or "ERROR", or a `Level`.
            entity_tag: A short label a console shows and links, e.g. "P-101".
            entity_route: A console route, e.g. "/assets/123".
            entity_id: The entity's id.
            entity_type: The entity's type, e.g. "asset".

        Raises:
            ValueError: An empty message or an unknown level.
        """
        if not isinstance(message, str) or not message:
            raise ValueError("a step needs a non-empty message")
        step = pb.StepReport(message=_cut(message, MAX_MESSAGE_CHARS), level=int(Level.parse(level)),
                             timestamp_ms=_now_ms())
        entity = {name: value for name, value in (("tag", entity_tag), ("route", entity_route),
                                                    ("id", entity_id), ("type", entity_type)) if value}
        if entity:
            step.entity.CopyFrom(pb.EntityRef(**{name: _cut(str(value), MAX_ENTITY_CHARS)
                                                 for name, value in entity.items()}))
        self._recorder.log(self._key, pb.JobUpdate(step=step))

    def update_progress(self, progress: float, message: str = "") -> None:
        """Records how far the job is, from 0 to 1 (clamped), and what that means.

        Raises:
            ValueError: `progress` is not a number.
        """
        try:
            value = float(progress)
        except (TypeError, ValueError):
            raise ValueError(f"progress must be a number from 0 to 1, not {progress!r}") from None
        if math.isnan(value):
            raise ValueError("progress must be a number from 0 to 1, not NaN")
        update = pb.ProgressReport(progress=min(1.0, max(0.0, value)), message=_cut(str(message or ""), MAX_MESSAGE_CHARS),
                                   timestamp_ms=_now_ms())
        self._recorder.log(self._key, pb.JobUpdate(progress=update))

    def increment(self, name: str, by: int = 1) -> None:
        """Adds `by` to the counter `name` (e.g. "itemsCreated"), starting from 0."""
        self._recorder.update_counters(self._key, {_counter_name(name): _int64(by, name)}, False)

    def set_stat(self, name: str, value: int) -> None:
        """Sets the counter `name` (e.g. "itemsProcessed") to `value`."""
        self._recorder.update_counters(self._key, {_counter_name(name): _int64(value, name)}, True)

    def set_stats(self, stats: Mapping[str, int]) -> None:
        """Sets several counters at once."""
        self._recorder.update_counters(self._key, _counters(stats), True)

    @property
    def stats(self) -> Dict[str, int]:
        """The counters as they are now (a copy)."""
        return self._recorder.counters(self._key)

    # ------------------------------------------------------------------ outputs

    def set_output(self, name: str, value: Union[str, int]) -> None:
        """Sets the output `name` to `value`: what this job hands on to the jobs after it (they
        read it from their `inputs`), shown in `Job.outputs` and the `JOB_COMPLETED` event.

        Outputs are sent with the completion and count only if the attempt completes; setting
        a name again replaces its value. After the attempt ended this is a no-op (the values
        are still checked).

        Args:
            name: 1 to 128 ASCII letters, digits, '_', '.' or '-', e.g. "rows_read".
            value: Text; an int is written in decimal.

        Raises:
            OutputLimitError: (a ValueError) The name is invalid, or the job's outputs would
                take more than 65,536 bytes of UTF-8 names and values together; nothing changes.
            TypeError: The value is neither a str nor an int.
        """
        self.set_outputs({name: value})

    def set_outputs(self, outputs: Mapping[str, Union[str, int]]) -> None:
        """Sets several outputs at once: all of them, or (when one breaks a limit) none.

        Raises:
            OutputLimitError, TypeError: as `set_output`.
        """
        with self._outputs_lock:
            if self._ended_here or self._lease_over:
                Outputs().set_all(outputs)  # the same checks, with nothing kept
                return
            self._outputs.set_all(outputs)

    @property
    def outputs(self) -> Dict[str, str]:
        """The outputs set so far (a copy)."""
        with self._outputs_lock:
            return self._outputs.values

    # ------------------------------------------------------------------ the end

    def complete(self, stats: Optional[Mapping[str, int]] = None, *,
                 outputs: Optional[Mapping[str, Union[str, int]]] = None) -> bool:
        """Ends the attempt: the job's work is done.

        Args:
            stats: Counters to set first, e.g. {"itemsProcessed": 100}. The server measures the
                duration itself; a "duration" key is just another counter.
            outputs: Outputs to set first (as `set_outputs`); the completion carries every
                output set.

        Returns:
            True if this ended the attempt; False if it had ended already (nothing changes).

        Raises:
            OutputLimitError, TypeError: `outputs` break a limit (see `set_output`); the
                attempt has not ended.
        """
        if outputs:
            self.set_outputs(outputs)
        if stats:
            self.set_stats(stats)
        with self._outputs_lock:
            values = self._outputs.values
        return self._finish(End.completed(values))

    def fail(self, error: Union[str, BaseException], stack: Optional[str] = None, *,
             code: Optional[str] = None, retryable: bool = True) -> bool:
        """Ends the attempt as failed; the job's retry policy decides what follows.

        Args:
            error: What went wrong; an exception gives its type and message (and its traceback,
                unless `stack` is given).
            stack: Where it went wrong, e.g. `traceback.format_exc()`.
            code: An error code the template's `no_retry` may name, e.g. "VALIDATION"; None
                for ERROR.
            retryable: False: never retry this failure, whatever the policy says.

        Returns:
            True if this ended the attempt; False if it had ended already (nothing changes).
        """
        if isinstance(error, BaseException):
            if stack is None and error.__traceback__ is not None:
                stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            error = describe(error)
        end = End.failed(_cut(str(error), MAX_MESSAGE_CHARS) or "job failed", _cut_head(stack or "", MAX_STACK_CHARS),
                         code or "", do_not_retry=not retryable)
        return self._finish(end)

    # ------------------------------------------------------------------ for the worker

    def _finish(self, end: End) -> bool:
        if self._ended_here or self._lease_over:
            return False
        ended = self._recorder.finish(self._key, end)
        self._ended_here = self._ended_here or ended
        return ended

    def _cancel(self, reason: str, lease_ended: bool) -> None:
        """The server (or the stopping worker) cancelled the assignment."""
        if self._cancel_reason is None:
            self._cancel_reason = reason
        if lease_ended:
            self._lease_over = True
        self.cancel_event.set()

    def _returned(self, result: Any) -> None:
        """The job function returned `result`: end the attempt if the function did not."""
        if isinstance(result, Mapping) and result:
            self.set_stats(result)
        if self.cancelled and not self.ended:
            self.fail(f"cancelled: {self._cancel_reason or 'cancelled'}", "", code="CANCELLED", retryable=True)
        else:
            self.complete()

    def __repr__(self) -> str:
        return (f"JobContext(workflow_id={self.workflow_id!r}, job_name={self.job_name!r}, "
                f"attempt={self.attempt}, queue={self.queue!r})")


def describe(error: BaseException) -> str:
    """"TypeName: message" (or just the type when the message is empty)."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _now_ms() -> int:
    return int(time.time() * 1000)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cut_head(text: str, limit: int) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def _counter_name(name: str) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError(f"a counter needs a non-empty name, not {name!r}")
    return name


def _int64(value: Any, name: str) -> int:
    try:
        number = operator.index(value)
    except TypeError:
        if isinstance(value, float) and value.is_integer():
            number = int(value)
        else:
            raise TypeError(f"counter {name!r} must be an integer, not {value!r}") from None
    if isinstance(value, bool) or not _INT64[0] <= number <= _INT64[1]:
        raise ValueError(f"counter {name!r} must be a 64-bit integer, not {value!r}")
    return number


def _counters(stats: Mapping[str, Any]) -> Dict[str, int]:
    return {_counter_name(name): _int64(value, name) for name, value in stats.items()}
