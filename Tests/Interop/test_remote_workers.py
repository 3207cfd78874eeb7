"""Remote jobs run by real Python workers (Clients/python, in processes of their own) against the
real workflowd: mixed workflows, failures, cancel and retry; and faults: a worker killed mid-job,
its late reports replayed through a proxy, a connection cut, workflowd killed while workers hold
leases, and 50 workers × 4 slots over 2,000 jobs."""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import grpc
import pytest

from conftest import Server
from tcp_proxy import TCPProxy
from watching import follow_to_end
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc

HERE = Path(__file__).resolve().parent

TEMPLATES = """
[MIXED] retries=0 timeout=2m
Fetch   = wait wait_ms=1
Process = remote queue=q heartbeat=2s
Save    = wait wait_ms=1

[MIXED_RETRIED] retries=0 timeout=2m
Fetch   = wait wait_ms=1
Process = remote queue=q heartbeat=1s retries=2 backoff=100ms
Save    = wait wait_ms=1

[ONE_REMOTE] retries=0 timeout=2m
Process = remote queue=load heartbeat=5s
"""


def templates_file() -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as file:
        file.write(TEMPLATES)
    return file.name


class WorkerProcess:
    """Tests/Interop/worker_process.py in a process of its own; `lines` is what it printed."""

    def __init__(self, server: str, instance: str, workers: int = 1, slots: int = 1, queue: str = "q"):
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "worker_process.py"), "--server", server, "--instance", instance,
             "--workers", str(workers), "--slots", str(slots), "--queue", queue],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for("ready", timeout=60)

    def _read(self):
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = 30) -> str:
        """The first line containing `text`, waiting for it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                remaining = deadline - time.monotonic()
                assert remaining > 0 and self.process.poll() is None or any(text in line for line in self.lines), \
                    f"the worker never printed {text!r}:\n" + "\n".join(self.lines[-30:])
                self._changed.wait(timeout=min(remaining, 0.5))

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


@pytest.fixture(scope="module")
def templates():
    path = templates_file()
    yield path
    os.unlink(path)


@pytest.fixture
def server(templates):
    server = Server("--templates", templates)
    yield server
    server.stop()


@pytest.fixture
def api(server):
    with grpc.insecure_channel(server.address) as channel:
        yield workflow_pb2_grpc.WorkflowServiceStub(channel)


def start(api, workflow_type: str, **params) -> str:
    return api.StartWorkflow(pb.StartWorkflowRequest(type=workflow_type, params=params), timeout=10).workflow_id


def get(api, workflow_id: str):
    return api.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id), timeout=10)


def wait_until(api, workflow_id: str, condition, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while True:
        workflow = get(api, workflow_id)
        if condition(workflow):
            return workflow
        assert time.monotonic() < deadline, f"{workflow_id} never reached the awaited state: {workflow}"
        time.sleep(0.05)


def ended(workflow) -> bool:
    return workflow.status != pb.WORKFLOW_STATUS_RUNNING


def kinds(events, job_id=None):
    return [pb.LogEventKind.Name(event.kind).removeprefix("LOG_EVENT_KIND_") for event in events
            if job_id is None or event.job_id == job_id]


def test_a_workflow_mixing_built_in_and_remote_jobs_completes(server, api):
    worker = WorkerProcess(server.address, "mixed")
    try:
        workflow_id = start(api, "MIXED", remote_steps="4")
        events = follow_to_end(api, workflow_id)
        workflow = get(api, workflow_id)
        assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED
        process = workflow.jobs[1]
        assert [step.message for step in process.steps] == [f"Step {i} of 4" for i in range(1, 5)]
        assert [step.entity.tag for step in process.steps] == ["T-1", "T-2", "T-3", "T-4"]
        assert process.steps[0].entity.route == "/things/1" and process.steps[0].entity.type == "thing"
        assert dict(process.stats.counters) == {"itemsProcessed": 4} and process.progress == 1
        assert (process.worker.name, process.worker.instance_id, process.queue) == ("interop-worker", "mixed-0", "q")
        assert kinds(events, process.id) == ["JOB_STARTED", "JOB_ASSIGNED", "STEP_LOGGED", "PROGRESS_UPDATED"] * 1 + \
            ["STEP_LOGGED", "PROGRESS_UPDATED"] * 3 + ["JOB_COMPLETED"]
        assert next(event for event in events if event.kind == pb.LOG_EVENT_KIND_JOB_ASSIGNED).worker.instance_id == "mixed-0"
        assert [job.status for job in workflow.jobs] == [pb.JOB_STATUS_COMPLETED] * 3
    finally:
        worker.stop()


def test_a_remote_failure_fails_the_workflow_fast_and_cancels_the_later_jobs(server, api):
    worker = WorkerProcess(server.address, "failing")
    try:
        workflow_id = start(api, "MIXED", remote_fail="bad row 7", remote_fail_final="1")
        events = follow_to_end(api, workflow_id)
        workflow = get(api, workflow_id)
        assert workflow.status == pb.WORKFLOW_STATUS_FAILED
        assert (workflow.failed_job_name, workflow.error) == ("Process", "bad row 7")
        assert [job.status for job in workflow.jobs] == [pb.JOB_STATUS_COMPLETED, pb.JOB_STATUS_FAILED, pb.JOB_STATUS_CANCELLED]
        assert "worker_process.py" in workflow.jobs[1].stack
        assert workflow.jobs[1].failed_attempts[0].worker.instance_id == "failing-0"
        assert kinds(events)[-2:] == ["FAILURE_NOTICE", "WORKFLOW_FAILED"]
    finally:
        worker.stop()


def test_cancel_reaches_the_worker_and_the_workflow_ends_cancelled(server, api):
    worker = WorkerProcess(server.address, "cancelled")
    try:
        workflow_id = start(api, "MIXED", remote_steps="1000", remote_delay_ms="20")
        wait_until(api, workflow_id, lambda workflow: len(workflow.jobs[1].steps) >= 3)
        api.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=workflow_id, reason="pressed Cancel"), timeout=10)
        worker.wait_for(f"cancelled {workflow_id}-j2")
        workflow = wait_until(api, workflow_id, ended)
        assert workflow.status == pb.WORKFLOW_STATUS_CANCELLED
        assert [job.status for job in workflow.jobs] == [pb.JOB_STATUS_COMPLETED, pb.JOB_STATUS_CANCELLED, pb.JOB_STATUS_CANCELLED]
        assert workflow.jobs[1].steps[-1].message.startswith("Stopped after")
        assert "pressed Cancel" in workflow.jobs[1].steps[-1].message
    finally:
        worker.stop()


def test_retry_from_the_failed_remote_job_runs_on_a_worker_again(server, api):
    worker = WorkerProcess(server.address, "retried")
    marker = tempfile.mktemp(prefix="remote-retry-")
    try:
        workflow_id = start(api, "MIXED", remote_fail_unless=marker)
        failed = wait_until(api, workflow_id, ended)
        assert failed.status == pb.WORKFLOW_STATUS_FAILED and "is missing" in failed.error
        Path(marker).touch()
        api.RetryWorkflow(pb.RetryWorkflowRequest(workflow_id=workflow_id), timeout=10)
        workflow = wait_until(api, workflow_id, ended)
        assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED
        assert workflow.jobs[1].attempt == 2 and workflow.jobs[1].worker.instance_id == "retried-0"
        assert [step.attempt for step in workflow.jobs[1].steps] == [2, 2, 2]
    finally:
        worker.stop()
        if os.path.exists(marker):
            os.unlink(marker)


def test_a_killed_worker_s_lease_expires_its_job_runs_on_another_and_its_late_reports_are_refused(server, api):
    proxy = TCPProxy(server.port)
    first = WorkerProcess(proxy.address, "killed")
    second = None
    try:
        workflow_id = start(api, "MIXED_RETRIED", remote_steps="400", remote_delay_ms="10")
        job_id = f"{workflow_id}-j2"
        first.wait_for(f"started {job_id} attempt 1")
        wait_until(api, workflow_id, lambda workflow: len(workflow.jobs[1].steps) >= 5)
        second = WorkerProcess(server.address, "survivor")
        # Whatever the first worker sends from now on is held; then it dies.
        proxy.hold(to_server=True)
        time.sleep(0.5)
        first.kill()
        applied_before = [step.message for step in get(api, workflow_id).jobs[1].steps]
        second.wait_for(f"started {job_id} attempt 2", timeout=60)
        workflow = wait_until(api, workflow_id, ended, timeout=120)
        assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED
        # The dead worker's held reports (steps logged after the hold) arrive late: refused.
        assert proxy.held_bytes > 1000, "the first worker sent nothing after the hold"
        refusals_before = "".join(server.log).count("engine.report_refused")
        proxy.release()
        deadline = time.monotonic() + 30
        while "".join(server.log).count("engine.report_refused") == refusals_before:
            assert time.monotonic() < deadline, "the server never refused the dead worker's late reports"
            time.sleep(0.1)
        refused = [line for line in server.log if "engine.report_refused" in line]
        assert all("failedPrecondition" in line and f"workflow.id={workflow_id}" in line for line in refused), refused
        workflow = get(api, workflow_id)
        process = workflow.jobs[1]
        assert [step.message for step in process.steps if step.attempt == 1] == applied_before
        assert [step.message for step in process.steps if step.attempt == 2] == [f"Step {i} of 400" for i in range(1, 401)]
        assert process.attempt == 2 and process.worker.instance_id == "survivor-0"
        assert [(attempt.outcome, attempt.error_code, attempt.worker.instance_id) for attempt in process.failed_attempts] == \
            [(pb.JOB_ATTEMPT_OUTCOME_TIMED_OUT, "TIMEOUT", "killed-0")]
        events = follow_to_end(api, workflow_id)
        assert kinds(events, job_id).count("JOB_COMPLETED") == 1
        assert kinds(events, job_id).count("JOB_RETRY_SCHEDULED") == 1
    finally:
        first.stop()
        if second is not None:
            second.stop()
        proxy.close()


def test_a_connection_cut_mid_job_reconnects_and_every_report_is_applied_exactly_once(server, api):
    proxy = TCPProxy(server.port)
    worker = WorkerProcess(proxy.address, "cut")
    try:
        workflow_id = start(api, "MIXED", remote_steps="300", remote_delay_ms="5")
        for _ in range(3):
            wait_until(api, workflow_id, lambda workflow: len(workflow.jobs[1].steps) >= 20 * (_ + 1))
            proxy.cut()
        workflow = wait_until(api, workflow_id, ended, timeout=120)
        assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED
        process = workflow.jobs[1]
        assert [step.message for step in process.steps] == [f"Step {i} of 300" for i in range(1, 301)]
        assert process.attempt == 1 and not process.failed_attempts
        assert proxy.connections >= 4
        assert dict(process.stats.counters) == {"itemsProcessed": 300}
    finally:
        worker.stop()
        proxy.close()


def test_workflowd_killed_while_workers_hold_leases_keeps_every_step_and_the_jobs_finish(templates):
    data_dir = tempfile.mkdtemp(prefix="workflowd-remote-")
    server = Server("--templates", templates, data_dir=data_dir)
    proxy = TCPProxy(server.port)
    worker = WorkerProcess(proxy.address, "held", slots=4)
    try:
        with grpc.insecure_channel(server.address) as channel:
            api = workflow_pb2_grpc.WorkflowServiceStub(channel)
            ids = [start(api, "MIXED", remote_steps="200", remote_delay_ms="10") for _ in range(4)]
            for workflow_id in ids:
                wait_until(api, workflow_id, lambda workflow: len(workflow.jobs[1].steps) >= 10)
        server.kill()
        server = Server("--templates", templates, data_dir=data_dir)
        proxy.target_port = server.port
        with grpc.insecure_channel(server.address) as channel:
            api = workflow_pb2_grpc.WorkflowServiceStub(channel)
            for workflow_id in ids:
                workflow = wait_until(api, workflow_id, ended, timeout=120)
                assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED
                process = workflow.jobs[1]
                assert [step.message for step in process.steps] == [f"Step {i} of 200" for i in range(1, 201)]
                assert process.attempt == 1 and not process.failed_attempts
    finally:
        worker.stop()
        proxy.close()
        server.stop()
        import shutil
        shutil.rmtree(data_dir, ignore_errors=True)


class SlotSampler:
    """Reads ListWorkers over and over on a thread of its own while the load runs: the most slots
    in use at once, and every listing where a worker exceeded its slots or its leases disagreed."""

    def __init__(self, address: str, queue: str):
        self.most_in_use = 0
        self.samples = 0
        self.violations: list[str] = []
        self._address = address
        self._queue = queue
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        with grpc.insecure_channel(self._address) as channel:
            workers = workflow_pb2_grpc.WorkerServiceStub(channel)
            while not self._stopped.is_set():
                listed = workers.ListWorkers(pb.ListWorkersRequest(queue=self._queue), timeout=10).workers
                for info in listed:
                    if not info.slots_in_use <= info.slots == 4 or len(info.leases) != info.slots_in_use:
                        self.violations.append(f"{info.worker.instance_id}: {info.slots_in_use}/{info.slots} in use, "
                                               f"{len(info.leases)} leases")
                self.most_in_use = max(self.most_in_use, sum(info.slots_in_use for info in listed))
                self.samples += 1
                self._stopped.wait(0.01)

    def stop(self):
        self._stopped.set()
        self._thread.join(timeout=30)
        assert not self._thread.is_alive(), "the slot sampler never stopped"


def test_fifty_workers_of_four_slots_run_two_thousand_jobs_without_exceeding_or_leaking_a_slot(server):
    processes = []
    try:
        for n in range(5):
            processes.append(WorkerProcess(server.address, f"load{n}", workers=10, slots=4, queue="load"))
        with grpc.insecure_channel(server.address) as channel:
            api = workflow_pb2_grpc.WorkflowServiceStub(channel)
            workers = workflow_pb2_grpc.WorkerServiceStub(channel)
            assert len(workers.ListWorkers(pb.ListWorkersRequest(queue="load"), timeout=10).workers) == 50
            sampler = SlotSampler(server.address, "load")
            try:
                futures = [api.StartWorkflow.future(pb.StartWorkflowRequest(type="ONE_REMOTE", params={"remote_job_ms": str(5 + n % 20)}),
                                                    timeout=60) for n in range(2000)]
                ids = [future.result().workflow_id for future in futures]
                deadline = time.monotonic() + 300
                while True:
                    running = api.ListWorkflows(pb.ListWorkflowsRequest(statuses=[pb.WORKFLOW_STATUS_RUNNING], type="ONE_REMOTE"), timeout=10)
                    if not running.workflows:
                        break
                    assert time.monotonic() < deadline, f"{len(running.workflows)} workflows still running"
                    time.sleep(0.2)
            finally:
                sampler.stop()
            assert not sampler.violations, f"slots exceeded or leases out of step: {sampler.violations[:10]}"
            failed = api.ListWorkflows(pb.ListWorkflowsRequest(statuses=[pb.WORKFLOW_STATUS_FAILED], type="ONE_REMOTE", page_size=10), timeout=10)
            assert not failed.workflows, f"failed: {[(w.id, w.error) for w in failed.workflows]}"
            completed = 0
            token = ""
            while True:
                page = api.ListWorkflows(pb.ListWorkflowsRequest(statuses=[pb.WORKFLOW_STATUS_COMPLETED], type="ONE_REMOTE",
                                                                 page_size=1000, page_token=token), timeout=10)
                completed += len(page.workflows)
                token = page.next_page_token
                if not token:
                    break
            assert completed == len(ids) == 2000
            listed = workers.ListWorkers(pb.ListWorkersRequest(queue="load"), timeout=10).workers
            assert [(info.slots_in_use, list(info.leases)) for info in listed] == [(0, [])] * 50
            assert sampler.most_in_use > 50, f"the load never spread over the workers ({sampler.samples} listings)"
    finally:
        for process in processes:
            process.stop()
