"""`Worker`: serves queues of remote jobs over one WorkerService.Connect stream."""

from __future__ import annotations

import enum
import logging
import os
import queue
import secrets
import signal
import socket
import threading
import time
import traceback
from typing import Callable, Dict, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import grpc

from .auth import Token, bearer
from .backoff import Backoff
from .context import JobContext, describe
from .errors import JobCancelled, JobFailed, WorkerRefused
from .ledger import Action, CancelJob, End, LeaseKey, LeasePhase, Ledger, Resync, RunJob, StreamPhase
from .protos import workflow_pb2 as pb
from .protos import workflow_pb2_grpc as pb_grpc

JobFunction = Callable[[JobContext], Optional[Mapping[str, int]]]
Target = Union[str, Callable[[], str]]

# Stream errors that reconnecting cannot fix (logged as errors on every attempt, which waits
# `reconnect_max`).
_CONFIGURATION_ERRORS = frozenset({
    grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED,
})

# The server refused the worker's credentials: fatal until the first welcome (`WorkerRefused`).
_REFUSALS = frozenset({grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED})

DEFAULT_CHANNEL_OPTIONS: Tuple[Tuple[str, int], ...] = (
    # Notice a server that vanished without closing the connection.
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.http2.max_pings_without_data", 0),
)


class WorkerState(enum.Enum):
    """The lifecycle of a `Worker`."""

    CREATED = "created"
    """Jobs may be registered. Next: RUNNING (`start`), STOPPED (`stop` before `start`)."""
    RUNNING = "running"
    """Connected or reconnecting; assignments run. Next: DRAINING (`stop`)."""
    DRAINING = "draining"
    """New assignments are handed back; running jobs get the grace period. Next: RELEASING."""
    RELEASING = "releasing"
    """Jobs still running were released; waiting for the server to acknowledge. Next: CLOSING."""
    CLOSING = "closing"
    """The stream is being closed; no reconnect. Next: STOPPED."""
    STOPPED = "stopped"
    """Terminal."""


class _Ended(NamedTuple):
    """How one Connect call ended."""

    welcomed: bool                      # the server welcomed the worker on it
    why: str                            # for the log
    code: Optional[grpc.StatusCode]     # None when the worker ended it, or it ended without an error
    details: str = ""                   # the server's message with `code`


class _Stream:
    """One Connect call, from the worker's side."""

    def __init__(self, target: str):
        self.target = target
        self.call = None
        self.welcomed = False
        self.ended = False          # the reader gave it up: the request iterator returns
        self.half_closed = False    # the worker is done writing: the request iterator returns


class Worker:
    """Runs remote jobs of a WorkflowEngine server: the Python side of `WorkerService`.

    Register one function per queue with `job`, then `run` (blocking) or `start`/`stop`. The
    worker opens one Connect stream, says who it is (`name`, a fresh `instance_id` kept across
    reconnects, its queues, `slots`, `labels`), and runs each assignment the server pushes in a
    pool of `slots` threads, passing it a `JobContext`.

    Guarantees:

    - Logging never blocks on the network: calls are buffered per assignment and sent as
      numbered reports (every `flush_interval`, at `max_updates_per_report` calls, and at once
      with the end). Each report is kept until the server acknowledges it; after a reconnect
      the unacknowledged ones are sent again, unchanged, so every call is applied exactly once.
    - Heartbeats list the leases held, at the server's `heartbeat_interval_ms`.
    - A broken stream is reopened with exponential backoff and jitter (`reconnect_initial`
      doubling up to `reconnect_max` seconds); the hello lists the leases still held, so the
      server gives them back while they live.
    - Every assignment ends exactly once: completed, failed, or (when stopping) released.
      A lease the server ended is dropped: its job is cancelled and its later calls ignored.
    - Attempts run at least once, and may run more than once (a worker that dies mid-way, a
      lease that expires): use `JobContext.idempotency_key`.

    Authentication: with `token`, every Connect call sends the metadata
    `authorization: Bearer <token>` (a workflowd with `--auth tokens|jwt` needs it: a role
    `worker:<queue>` for each queue served, or `admin`). If the server refuses the worker
    (the stream ends UNAUTHENTICATED or PERMISSION_DENIED) before it ever welcomed it, the
    credentials or the queues are wrong and reconnecting cannot help: the worker stops at once
    and `run` (or `wait_connected`) raises `WorkerRefused` with the server's message. Once
    welcomed, the same refusal on a later reconnect (a revoked or expired token, a server
    restarted with other tokens) is logged as an error and retried every `reconnect_max`
    seconds: running jobs and unacknowledged reports are kept for when the credentials are
    accepted again (a token function may return a new token).

    Stopping (`stop`, or SIGTERM/SIGINT under `run`) is graceful: assignments that arrive
    afterwards are handed back unrun; running jobs get `grace_period` seconds to finish and
    have their reports acknowledged; those still running are released (the server assigns them
    again, to another worker, without counting an attempt) and cancelled; the worker waits up to
    `release_timeout` seconds for the server to acknowledge, then closes the stream.

    Example::

        worker = Worker("127.0.0.1:50051", name="python-importer", slots=4, labels={"region": "eu"})

        @worker.job("import")
        def process(ctx: JobContext):
            for n, tag in enumerate(ctx.params["tags"].split(","), 1):
                ctx.log_step(f"Created {tag}", entity_tag=tag)
                ctx.increment("itemsCreated")
            return {"itemsProcessed": n}

        worker.run()   # until SIGTERM or Ctrl-C

    Args:
        target: The server, "host:port"; or a function returning it, called before each
            connection attempt.
        name: What the worker is, e.g. "python-importer"; several processes may share it.
        slots: How many jobs run at once (the server never assigns more).
        labels: Free-form labels shown by ListWorkers.
        instance_id: This process's id; by default "<host>-<pid>-<random>".
        grace_period: Seconds `stop` lets running jobs finish before releasing them.
        release_timeout: Seconds `stop` waits for the server to acknowledge the last reports.
        flush_interval: Seconds a logged call may wait for more before being sent.
        max_updates_per_report: Calls per report at most (a full buffer is sent at once).
        reconnect_initial: The first reconnect delay, in seconds (with jitter).
        reconnect_max: The longest reconnect delay, in seconds.
        welcome_timeout: Seconds to wait for the server's welcome before trying again.
        credentials: TLS channel credentials; None for plaintext.
        token: A bearer token sent with every Connect call, or a function returning the
            current one, called before each connection attempt (e.g. to refresh a JWT); None
            sends no authorization. A token is sent as it is: over plaintext anyone on the path
            can read it, so beyond loopback use `credentials`.
        channel_options: gRPC channel options; None for `DEFAULT_CHANNEL_OPTIONS`.
        logger: Where the worker logs; by default `logging.getLogger("workflow_worker")`.
    """

    def __init__(self, target: Target, *, name: str, slots: int = 1, labels: Optional[Mapping[str, str]] = None,
                 instance_id: Optional[str] = None, grace_period: float = 30.0, release_timeout: float = 10.0,
                 flush_interval: float = 0.02, max_updates_per_report: int = 256,
                 reconnect_initial: float = 0.1, reconnect_max: float = 5.0, welcome_timeout: float = 10.0,
                 credentials: Optional[grpc.ChannelCredentials] = None, token: Optional[Token] = None,
                 channel_options: Optional[Sequence[Tuple[str, object]]] = None,
                 logger: Optional[logging.Logger] = None):
        if not name:
            raise ValueError("a worker needs a name")
        if isinstance(token, str):
            bearer(token)                   # a malformed token raises here, not on every attempt
        if slots < 1:
            raise ValueError("a worker needs at least one slot")
        self.name = name
        self.slots = int(slots)
        self.labels = dict(labels or {})
        self.instance_id = instance_id or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.grace_period = grace_period
        self.release_timeout = release_timeout
        self.welcome_timeout = welcome_timeout
        self._target = target
        self._credentials = credentials
        self._token = token
        self._channel_options = list(DEFAULT_CHANNEL_OPTIONS if channel_options is None else channel_options)
        self._log = logger or logging.getLogger("workflow_worker")
        self._backoff = Backoff(initial=reconnect_initial, maximum=reconnect_max)
        self._handlers: Dict[str, JobFunction] = {}

        # Everything below is guarded by _lock; _changed is notified on every change the
        # sender, `stop` or a waiter may be waiting for.
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._ledger = Ledger(flush_interval=flush_interval, max_updates_per_report=max_updates_per_report)
        self._state = WorkerState.CREATED
        self._stream: Optional[_Stream] = None
        self._contexts: Dict[LeaseKey, JobContext] = {}

        self._jobs: "queue.Queue[Optional[JobContext]]" = queue.Queue()
        self._threads: List[threading.Thread] = []
        self._connection_thread: Optional[threading.Thread] = None
        self._closing = threading.Event()        # no more reconnects
        self._stop_requested = threading.Event()  # `run` should stop (a signal or `stop`)
        self._hurry = threading.Event()           # skip the rest of the grace period
        self._stopped = threading.Event()
        self._stop_result = True
        self._connected = threading.Event()
        self._welcomed_once = False               # the server accepted this worker's credentials once
        self._refusal: Optional[WorkerRefused] = None  # why the server refused it before that

    # ------------------------------------------------------------------ registration

    def job(self, queue_name: str, function: Optional[JobFunction] = None):
        """Registers the function that runs the jobs of `queue_name`; usable as a decorator.

        The function takes a `JobContext`. Returning (None, or a mapping of counters to set)
        completes the attempt; raising fails it (`JobFailed` chooses the code and whether to
        retry).

        Raises:
            ValueError: The queue has a function already, or its name is empty.
            RuntimeError: The worker started already (the hello lists the queues).
        """
        def register(fn: JobFunction) -> JobFunction:
            if not queue_name:
                raise ValueError("a queue needs a name")
            with self._lock:
                if self._state is not WorkerState.CREATED:
                    raise RuntimeError("register jobs before the worker starts")
                if queue_name in self._handlers:
                    raise ValueError(f"queue {queue_name!r} has a job function already")
                self._handlers[queue_name] = fn
            return fn

        return register if function is None else register(function)

    # ------------------------------------------------------------------ lifecycle

    @property
    def state(self) -> WorkerState:
        """Where the worker is in its lifecycle."""
        with self._lock:
            return self._state

    @property
    def connected(self) -> bool:
        """Whether the stream is open and the server welcomed the worker."""
        return self._connected.is_set()

    def wait_connected(self, timeout: Optional[float] = None) -> bool:
        """Waits until the server welcomed the worker; returns whether it did in time.

        Raises:
            WorkerRefused: The server refused the worker's credentials before ever welcoming
                it; the worker stopped.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while not self._connected.is_set():
                if self._refusal is not None:
                    raise WorkerRefused(self._refusal.code, self._refusal.details)
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    @property
    def jobs_running(self) -> int:
        """How many assignments hold a slot now."""
        with self._lock:
            return self._ledger.jobs_running

    def start(self) -> "Worker":
        """Starts connecting and running jobs in the background; returns at once.

        Raises:
            RuntimeError: No job is registered, or the worker started already.
        """
        with self._lock:
            if self._state is not WorkerState.CREATED:
                raise RuntimeError("a worker starts once")
            if not self._handlers:
                raise RuntimeError("register at least one job (Worker.job) before starting")
            self._state = WorkerState.RUNNING
        for n in range(self.slots):
            thread = threading.Thread(target=self._slot_loop, name=f"workflow-worker-slot-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self._connection_thread = threading.Thread(target=self._connection_loop, name="workflow-worker-stream",
                                                   daemon=True)
        self._connection_thread.start()
        self._log.info("worker.started worker.name=%s worker.instance_id=%s queues=%s slots=%d",
                       self.name, self.instance_id, ",".join(sorted(self._handlers)), self.slots)
        return self

    def run(self, *, handle_signals: bool = True) -> bool:
        """Starts the worker and blocks until it stopped.

        Args:
            handle_signals: Stop gracefully on SIGTERM and SIGINT (a second one skips the rest
                of the grace period). Only from the main thread; elsewhere stop with `stop`.

        Returns:
            What `stop` returned: whether every report was acknowledged.

        Raises:
            WorkerRefused: The server refused the worker's credentials before ever welcoming
                it (UNAUTHENTICATED or PERMISSION_DENIED); the worker stopped.
        """
        self.start()
        previous = self._install_signal_handlers() if handle_signals else {}
        try:
            while not self._stop_requested.wait(0.5):
                pass
        finally:
            result = self.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        with self._lock:
            refusal = self._refusal
        if refusal is not None:
            raise WorkerRefused(refusal.code, refusal.details)
        return result

    def stop(self, timeout: Optional[float] = None) -> bool:
        """Stops gracefully (see the class documentation); blocks until the worker stopped.

        Safe from any thread and more than once (later calls wait for the first).

        Args:
            timeout: The grace period for running jobs, in seconds; None for `grace_period`.

        Returns:
            True if every report, ends and releases included, was acknowledged by the server;
            False if some were not within the timeouts (their leases then expire on the server,
            and the attempts are retried per the jobs' policies).
        """
        self._stop_requested.set()
        with self._lock:
            if self._state is WorkerState.CREATED:
                self._state = WorkerState.STOPPED
                self._stopped.set()
                return True
            if self._state is not WorkerState.RUNNING:
                first = False
            else:
                first = True
                self._state = WorkerState.DRAINING
                self._ledger.begin_stop()
                self._changed.notify_all()
        if not first:
            self._stopped.wait()
            return self._stop_result

        grace = self.grace_period if timeout is None else max(0.0, timeout)
        self._log.info("worker.stopping worker.instance_id=%s jobs_running=%d grace_s=%.1f",
                       self.instance_id, self.jobs_running, grace)
        self._wait(lambda: self._ledger.idle, grace, interruptible=True)

        with self._lock:
            self._state = WorkerState.RELEASING
            actions = self._ledger.release_active(time.monotonic())
            self._perform_locked(actions)
            self._changed.notify_all()
        if actions:
            self._log.info("worker.released jobs=%d", len(actions))
        settled = self._wait(lambda: self._ledger.settled, self.release_timeout, interruptible=False)

        with self._lock:
            self._state = WorkerState.CLOSING
            if self._stream is not None:
                self._stream.half_closed = True
            self._changed.notify_all()
        self._closing.set()
        if self._connection_thread is not None:
            self._connection_thread.join(timeout=2.0)
            if self._connection_thread.is_alive():
                with self._lock:
                    call = self._stream.call if self._stream is not None else None
                if call is not None:
                    call.cancel()
                self._connection_thread.join(timeout=5.0)
        for _ in self._threads:
            self._jobs.put(None)
        with self._lock:
            self._state = WorkerState.STOPPED
            self._stop_result = settled
        self._stopped.set()
        if settled:
            self._log.info("worker.stopped worker.instance_id=%s", self.instance_id)
        else:
            self._log.warning("worker.stopped_unsettled worker.instance_id=%s "
                              "(some reports were not acknowledged; their leases will expire)", self.instance_id)
        return settled

    def __enter__(self) -> "Worker":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _wait(self, condition: Callable[[], bool], timeout: float, *, interruptible: bool) -> bool:
        """Waits (on _changed) until `condition` holds; returns whether it did in time."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (interruptible and self._hurry.is_set()):
                    return False
                # Short waits: the signal handler sets _hurry without taking the lock.
                self._changed.wait(min(remaining, 0.1))
            return True

    def _install_signal_handlers(self) -> Dict[int, object]:
        if threading.current_thread() is not threading.main_thread():
            self._log.debug("worker.signals_not_handled reason=not_main_thread")
            return {}

        def handle(signum, frame):
            # No locks here: the main thread may hold one.
            if self._stop_requested.is_set():
                self._hurry.set()
            self._stop_requested.set()

        previous = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, handle)
        return previous

    # ------------------------------------------------------------------ the jobs

    def _slot_loop(self) -> None:
        while True:
            context = self._jobs.get()
            if context is None:
                return
            try:
                self._run_job(context)
            except Exception:  # a bug here must not cost the slot its thread
                self._log.exception("worker.slot_error workflow.id=%s job.id=%s", context.workflow_id, context.job_id)

    def _run_job(self, context: JobContext) -> None:
        key = context._key
        try:
            with self._lock:
                runnable = self._ledger.phase(key) is LeasePhase.ACTIVE
            if runnable:
                self._call_job(context)
        finally:
            with self._lock:
                self._ledger.job_returned(key, time.monotonic())
                self._contexts.pop(key, None)
                self._changed.notify_all()

    def _call_job(self, context: JobContext) -> None:
        function = self._handlers.get(context.queue)
        if function is None:
            context.fail(f"this worker serves no queue named {context.queue!r}", code="UNKNOWN_QUEUE")
            return
        self._log.debug("job.started workflow.id=%s job.id=%s job.name=%s job.attempt=%d",
                        context.workflow_id, context.job_id, context.job_name, context.attempt)
        try:
            context._returned(function(context))
        except JobFailed as error:
            context.fail(error.message, traceback.format_exc(), code=error.code, retryable=error.retryable)
        except JobCancelled as error:
            context.fail(f"cancelled: {error.reason}", "", code="CANCELLED")
        except BaseException as error:  # noqa: B902 - a job thread must always report an end
            context.fail(describe(error), traceback.format_exc())
            if not isinstance(error, Exception):
                self._log.warning("job.raised_base_exception workflow.id=%s job.id=%s error=%s",
                                  context.workflow_id, context.job_id, describe(error))

    # -- the Recorder the contexts call (each call returns at once: no network here)

    def _record_log(self, key: LeaseKey, update: pb.JobUpdate) -> None:
        with self._lock:
            if self._ledger.log(key, update, time.monotonic()):
                self._changed.notify_all()

    def _record_counters(self, key: LeaseKey, changes: Dict[str, int], absolute: bool) -> None:
        with self._lock:
            if self._ledger.update_counters(key, changes, absolute=absolute, now=time.monotonic()):
                self._changed.notify_all()

    def _record_end(self, key: LeaseKey, end: End) -> bool:
        with self._lock:
            ended = self._ledger.finish(key, end, time.monotonic())
            if ended:
                self._changed.notify_all()
            return ended

    def _counters(self, key: LeaseKey) -> Dict[str, int]:
        with self._lock:
            return self._ledger.counters(key)

    def _phase(self, key: LeaseKey) -> Optional[LeasePhase]:
        with self._lock:
            return self._ledger.phase(key)

    # ------------------------------------------------------------------ the stream

    def _hello(self) -> pb.WorkerHello:
        return pb.WorkerHello(name=self.name, instance_id=self.instance_id, queues=sorted(self._handlers),
                              slots=self.slots, labels=self.labels)

    def _connection_loop(self) -> None:
        failures = 0
        while not self._closing.is_set():
            try:
                ended = self._serve_stream()
            except Exception as unexpected:  # a bug: keep the worker alive, but say so loudly
                self._log.exception("worker.stream_crashed")
                ended = _Ended(False, describe(unexpected), None)
            if self._closing.is_set():
                return
            if ended.welcomed:
                self._welcomed_once = True
                self._backoff.reset()
                failures = 0
            elif ended.code in _REFUSALS and not self._welcomed_once:
                self._refused(WorkerRefused(ended.code, ended.details))
                return
            failures += 1
            if ended.code in _CONFIGURATION_ERRORS:
                log = self._log.error       # retrying will not help until someone fixes something,
                self._backoff.exhaust()     # so it need not be soon
            else:
                log = self._log.warning if failures == 1 else self._log.debug
            delay = self._backoff.next()
            log("worker.disconnected error=%s reconnect_in_s=%.2f attempt=%d", ended.why, delay, failures)
            self._closing.wait(delay)

    def _refused(self, refusal: WorkerRefused) -> None:
        """The server refused credentials it never accepted: stops the worker (in a thread of
        its own, since `stop` joins this one) for `run` and `wait_connected` to raise."""
        self._log.error("worker.refused code=%s error=%s (not reconnecting: fix the token or the queues)",
                        refusal.code.name, refusal.details)
        with self._lock:
            self._refusal = refusal
            self._changed.notify_all()
        self._stop_requested.set()
        threading.Thread(target=self.stop, name="workflow-worker-refused", daemon=True).start()

    def _serve_stream(self) -> _Ended:
        """Opens one Connect stream and reads it until it ends; returns how it ended."""
        target = self._target() if callable(self._target) else self._target
        metadata = None
        if self._token is not None:
            try:
                metadata = bearer(self._token() if callable(self._token) else self._token)
            except Exception as error:  # the caller's token function: retried like a network error
                return _Ended(False, f"no token: {describe(error)}", None)
        stream = _Stream(target)
        if self._credentials is not None:
            channel = grpc.secure_channel(target, self._credentials, options=self._channel_options)
        else:
            channel = grpc.insecure_channel(target, options=self._channel_options)
        with self._lock:
            if self._state in (WorkerState.CLOSING, WorkerState.STOPPED):
                channel.close()
                return _Ended(False, "closing", None)
            hello = self._ledger.open_stream(self._hello())
            self._stream = stream
        watchdog: Optional[threading.Timer] = None
        why = "the server ended the stream"
        code: Optional[grpc.StatusCode] = None
        details = ""
        try:
            call = pb_grpc.WorkerServiceStub(channel).Connect(self._outgoing(stream, hello), metadata=metadata)
            stream.call = call
            watchdog = threading.Timer(self.welcome_timeout, call.cancel)
            watchdog.daemon = True
            watchdog.start()
            for message in call:
                resync = self._receive(stream, message)
                if stream.welcomed:
                    watchdog.cancel()
                if resync is not None:
                    why = f"resync: {resync.reason}"
                    break
        except grpc.RpcError as error:
            code = error.code() if hasattr(error, "code") else None
            details = error.details() if hasattr(error, "details") else str(error)
            why = f"{code.name if code else 'error'}: {details}"
            if not stream.welcomed and code is grpc.StatusCode.CANCELLED and not self._closing.is_set():
                why = f"no welcome within {self.welcome_timeout:.1f} s"
        finally:
            if watchdog is not None:
                watchdog.cancel()
            with self._lock:
                stream.ended = True
                if self._stream is stream:
                    self._stream = None
                self._ledger.close_stream()
                self._connected.clear()
                self._changed.notify_all()
            if stream.call is not None:
                stream.call.cancel()
            channel.close()
        return _Ended(stream.welcomed, why, code, details or "")

    def _receive(self, stream: _Stream, message: pb.ServerMessage) -> Optional[Resync]:
        """Applies one server message; returns a Resync if the stream must be reopened."""
        welcome = message.WhichOneof("message") == "welcome"
        with self._lock:
            actions = self._ledger.receive(message, time.monotonic())
            first_welcome = welcome and not stream.welcomed and self._ledger.stream is StreamPhase.READY
            if first_welcome:
                stream.welcomed = True
                self._connected.set()       # under the lock: `wait_connected` waits on _changed
            resync = self._perform_locked(actions)
            self._changed.notify_all()
        if first_welcome:
            self._log.info("worker.connected target=%s heartbeat_interval_ms=%d resumed_leases=%d",
                           stream.target, message.welcome.heartbeat_interval_ms, len(message.welcome.resumed_leases))
        return resync

    def _perform_locked(self, actions: List[Action]) -> Optional[Resync]:
        """Carries out the ledger's actions (under _lock; nothing here blocks)."""
        resync = None
        for action in actions:
            if isinstance(action, RunJob):
                context = JobContext(action.assignment, _Recorder(self))
                self._contexts[action.key] = context
                self._jobs.put(context)
            elif isinstance(action, CancelJob):
                context = self._contexts.get(action.key)
                if context is not None:
                    context._cancel(action.reason, action.lease_ended)
                self._log.info("job.cancelled workflow.id=%s job.id=%s job.attempt=%d lease_ended=%s reason=%s",
                               action.key[0], action.key[1], action.key[2], action.lease_ended, action.reason)
            elif isinstance(action, Resync):
                resync = resync or action
        return resync

    def _outgoing(self, stream: _Stream, hello: pb.WorkerMessage) -> Iterator[pb.WorkerMessage]:
        """The request iterator of one stream: the hello, then whatever the ledger has to send."""
        yield hello
        while True:
            with self._lock:
                while True:
                    if stream.ended or stream.half_closed:
                        return
                    now = time.monotonic()
                    messages = self._ledger.take_outgoing(now)
                    if messages:
                        break
                    self._changed.wait(self._ledger.next_wake(now))
            yield from messages


class _Recorder:
    """The `Recorder` a JobContext calls: the worker's ledger behind its lock."""

    __slots__ = ("_worker",)

    def __init__(self, worker: Worker):
        self._worker = worker

    def log(self, key, update):
        self._worker._record_log(key, update)

    def update_counters(self, key, changes, absolute):
        self._worker._record_counters(key, changes, absolute)

    def finish(self, key, end):
        return self._worker._record_end(key, end)

    def counters(self, key):
        return self._worker._counters(key)

    def phase(self, key):
        return self._worker._phase(key)
