"""Fixtures: a real workflowd with the test templates, a recording TCP proxy in front of it, and
helpers (for test_workflowd.py and test_worker.py).

WORKFLOWD names the binary (default: the repository's .build/debug/workflowd). Each server
listens on a port picked here, not port 0, so that a test can kill it and start it again on
the same port and data directory, as a deploy or a crash would.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import List, Optional, Sequence

import grpc
import pytest

from grpc_wire import protocol_violations
from tcp_proxy import TCPProxy
from workflow_worker import bearer
from workflow_worker.protos import workflow_pb2 as pb
from workflow_worker.protos import workflow_pb2_grpc as pb_grpc

REPOSITORY = Path(__file__).resolve().parents[3]

# Remote jobs between built-in ones; one queue per test, so tests sharing a server never run
# each other's jobs.
TEMPLATES = """
[PY_STEPS]
Fetch        = wait wait_ms=10
Process Data = remote queue=py-steps heartbeat=2s timeout=60s retries=0
Save         = wait wait_ms=10

[PY_FAIL]
Process Data = remote queue=py-fail heartbeat=2s retries=1 backoff=100ms

[PY_NO_RETRY]
Process Data = remote queue=py-no-retry heartbeat=2s retries=3 backoff=100ms

[PY_CANCEL]
Process Data = remote queue=py-cancel heartbeat=2s retries=0

[PY_RESTART]
Process Data = remote queue=py-restart heartbeat=20s timeout=120s retries=0
Save         = wait wait_ms=10

[PY_EXPIRE]
Process Data = remote queue=py-expire heartbeat=1s retries=1 backoff=100ms

[PY_RELEASE]
Process Data = remote queue=py-release heartbeat=5s retries=0

[PY_SLOTS]
Process Data = remote queue=py-slots heartbeat=5s retries=0

[PY_OVER_SLOTS]
Process Data = remote queue=py-over-slots heartbeat=5s retries=0

[PY_REPORTS]
Process Data = remote queue=py-reports heartbeat=5s retries=0

[PY_BOOM]
Process Data = remote queue=py-boom heartbeat=5s retries=1 backoff=100ms

[PY_INVALID]
Process Data = remote queue=py-invalid heartbeat=5s retries=3 backoff=100ms

[PY_HEARTBEAT]
Process Data = remote queue=py-heartbeat heartbeat=5s retries=0

[PY_UNBLOCKED]
Process Data = remote queue=py-unblocked heartbeat=60s retries=0

[PY_RESUME]
Process Data = remote queue=py-resume heartbeat=30s retries=0

[PY_CANCEL_END]
Process Data = remote queue=py-cancel-end heartbeat=5s retries=0

[PY_REFUSED]
Process Data = remote queue=py-refused heartbeat=3s retries=0

[PY_STOPPING]
Process Data = remote queue=py-stopping heartbeat=30s retries=0

[PY_QUICK]
Process Data = remote queue=py-quick heartbeat=5s retries=0

[PY_GRACE]
Process Data = remote queue=py-grace heartbeat=5s retries=0

[PY_BAD_RETURN]
Process Data = remote queue=py-bad-return heartbeat=5s retries=0

[PY_WITH]
Process Data = remote queue=py-with heartbeat=5s retries=0

[PY_OUTPUTS]
Fetch   = wait wait_ms=1
Produce = remote queue=py-outputs heartbeat=5s retries=0
Refine  = remote queue=py-outputs heartbeat=5s retries=0
Consume = remote queue=py-outputs heartbeat=5s retries=0

[PY_OUTPUTS_LOCAL]
Process Data = remote queue=py-outputs-local heartbeat=5s retries=0
Save         = wait wait_ms=1

[PY_OUTPUTS_RETRY]
Process Data = remote queue=py-outputs-retry heartbeat=5s retries=1 backoff=100ms
Report       = remote queue=py-outputs-retry heartbeat=5s retries=0

[PY_OUTPUTS_LIMIT]
Process Data = remote queue=py-outputs-limit heartbeat=5s retries=0

[PY_AUTH]
Process Data = remote queue=import heartbeat=20s timeout=120s retries=0
"""


def workflowd_binary() -> Path:
    path = Path(os.environ.get("WORKFLOWD", REPOSITORY / ".build/debug/workflowd"))
    assert path.exists(), f"{path} does not exist: build it (swift build) or set WORKFLOWD"
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Workflowd:
    """A workflowd process on 127.0.0.1 with the test templates and a data directory of its own.

    `kill` (SIGKILL) keeps the data directory; `start` again listens on the same port, with the
    same `args` (more options, e.g. `["--auth", "tokens", "--auth-tokens", path]`).
    """

    def __init__(self, templates: Path, args: Sequence[str] = ()):
        self.templates = templates
        self.args = list(args)
        self.data_dir = tempfile.mkdtemp(prefix="pyworker-workflowd-")
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.log: List[str] = []
        self.process: Optional[subprocess.Popen] = None
        self.start()

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.process = subprocess.Popen(
            [str(workflowd_binary()), "--host", "127.0.0.1", "--port", str(self.port), "--http-port", "0",
             "--data-dir", self.data_dir, "--templates", str(self.templates), *self.args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        listening = threading.Event()
        process = self.process

        def read():
            for line in process.stdout:
                self.log.append(line)
                if re.search(r"server\.port=(\d+)", line):
                    listening.set()

        threading.Thread(target=read, daemon=True).start()
        if not listening.wait(30):
            process.kill()
            raise RuntimeError("workflowd did not report its port within 30 s:\n" + "".join(self.log[-50:]))

    def freeze(self) -> None:
        """SIGSTOP: the process stops reading; what clients send waits in the kernel."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT after `freeze`: the process reads what waited, in order."""
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: the process dies at once, as in a crash."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


class Api:
    """WorkflowService and WorkerService stubs on one channel (answers up to 64 MiB: a
    workflow with 10,000 long steps is bigger than gRPC's default 4 MiB). With `token`, its
    methods send it as a bearer token (`metadata`); calls on the stubs pass it themselves."""

    def __init__(self, address: str, token: Optional[str] = None):
        self.metadata = bearer(token) if token is not None else None
        self.channel = grpc.insecure_channel(address, options=[("grpc.max_receive_message_length", 64 << 20)])
        grpc.channel_ready_future(self.channel).result(timeout=10)
        self.workflows = pb_grpc.WorkflowServiceStub(self.channel)
        self.workers = pb_grpc.WorkerServiceStub(self.channel)

    def start(self, workflow_type: str, **params: str) -> str:
        answer = self.workflows.StartWorkflow(
            pb.StartWorkflowRequest(type=workflow_type, params=params, user_id="tester", user_name="Tester",
                                    summary=f"pytest {workflow_type}"), timeout=10, metadata=self.metadata)
        assert answer.status == pb.WORKFLOW_STATUS_RUNNING
        return answer.workflow_id

    def get(self, workflow_id: str) -> pb.Workflow:
        return self.workflows.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id), timeout=10,
                                          metadata=self.metadata)

    def cancel(self, workflow_id: str, reason: str = "") -> None:
        self.workflows.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=workflow_id, reason=reason), timeout=10,
                                      metadata=self.metadata)

    def list_workers(self, queue: str) -> List[pb.WorkerInfo]:
        return list(self.workers.ListWorkers(pb.ListWorkersRequest(queue=queue), timeout=10,
                                             metadata=self.metadata).workers)

    def wait_ended(self, workflow_id: str, timeout: float = 30.0) -> pb.Workflow:
        deadline = time.monotonic() + timeout
        while True:
            workflow = self.get(workflow_id)
            if workflow.status not in (pb.WORKFLOW_STATUS_RUNNING, pb.WORKFLOW_STATUS_UNSPECIFIED):
                return workflow
            assert time.monotonic() < deadline, f"workflow {workflow_id} still RUNNING after {timeout} s:\n{workflow}"
            time.sleep(0.05)

    def close(self) -> None:
        self.channel.close()


class Watcher:
    """Collects a WatchLogs stream of one workflow in a thread until it ends."""

    def __init__(self, api: Api, workflow_id: str):
        self.events: List[pb.LogEvent] = []
        self.error: Optional[BaseException] = None
        self._call = api.workflows.WatchLogs(pb.WatchLogsRequest(workflow_id=workflow_id), timeout=60)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        try:
            for event in self._call:
                self.events.append(event)
        except grpc.RpcError as error:
            self.error = error

    def join(self, timeout: float = 30.0) -> List[pb.LogEvent]:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the watch did not end after the workflow's terminal event"
        assert self.error is None, f"the watch failed: {self.error}"
        return self.events

    def of_kind(self, kind: int) -> List[pb.LogEvent]:
        return [event for event in self.events if event.kind == kind]


def remote_job(workflow: pb.Workflow) -> pb.Job:
    """The workflow's one remote job (every test template names it "Process Data")."""
    [job] = [job for job in workflow.jobs if job.name == "Process Data"]
    return job


def wait_for(condition, timeout: float = 10.0, what: str = "a condition", interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(interval)


@pytest.fixture(scope="session")
def templates(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("templates") / "templates.conf"
    path.write_text(TEMPLATES)
    return path


@pytest.fixture(scope="session")
def workflowd(templates):
    server = Workflowd(templates)
    yield server
    code = server.stop()
    shutil.rmtree(server.data_dir, ignore_errors=True)
    assert code == 0, "workflowd did not exit cleanly on SIGTERM:\n" + "".join(server.log[-40:])


@pytest.fixture
def own_workflowd(templates):
    """A server of the test's own, which it may kill and restart."""
    server = Workflowd(templates)
    yield server
    server.remove()


@pytest.fixture
def tap():
    """Builds recording TCP proxies in front of servers: `tap(server)`.

    At the end it closes them and checks what the workers sent through them against the
    WorkerService rules (grpc_wire.protocol_violations), which the server does not all check:
    it applies a report number once whatever a resend carries.
    """
    proxies: List[TCPProxy] = []

    def make(server: Workflowd) -> TCPProxy:
        proxy = TCPProxy(server.port)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()
    for proxy in proxies:
        assert protocol_violations(proxy.sent()) == []


@pytest.fixture(scope="session")
def api(workflowd):
    client = Api(workflowd.address)
    yield client
    client.close()


@pytest.fixture
def make_worker():
    """Builds Workers with test-friendly reconnect delays; stops them all at the end."""
    from workflow_worker import Worker

    workers = []

    def make(target, **options):
        options.setdefault("name", "pytest-worker")
        options.setdefault("reconnect_initial", 0.05)
        options.setdefault("reconnect_max", 0.5)
        options.setdefault("grace_period", 5.0)
        worker = Worker(target, **options)
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.stop(timeout=0)
