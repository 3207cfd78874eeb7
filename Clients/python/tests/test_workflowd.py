"""The worker against the real workflowd: what a job logs reaches GetWorkflow and watchers;
failures, non-retryable failures, cancellation, a server crash mid-job, a graceful stop that
hands the job to another worker, and slots."""

from __future__ import annotations

import threading
import time

from conftest import Api, Watcher, free_port, remote_job, wait_for
from workflow_worker import JobContext, JobFailed, Level
from workflow_worker.protos import workflow_pb2 as pb

STEP = pb.LOG_EVENT_KIND_STEP_LOGGED
PROGRESS = pb.LOG_EVENT_KIND_PROGRESS_UPDATED
ASSIGNED = pb.LOG_EVENT_KIND_JOB_ASSIGNED


def test_steps_progress_and_counters_reach_get_workflow_and_watchers(workflowd, api, make_worker):
    worker = make_worker(workflowd.address, name="python-importer", slots=2, labels={"region": "eu"})
    seen = {}

    @worker.job("py-steps")
    def process(ctx: JobContext):
        seen.update(params=dict(ctx.params), attempt=ctx.attempt, key=ctx.idempotency_key,
                    workflow_id=ctx.workflow_id, job_name=ctx.job_name, job_id=ctx.job_id)
        ctx.start()
        tags = ctx.params["tags"].split(",")
        for n, tag in enumerate(tags, 1):
            ctx.log_step(f"Created {tag}", level="INFO", entity_tag=tag, entity_route=f"/assets/{n}",
                         entity_id=str(n), entity_type="asset")
            ctx.increment("itemsCreated")
            ctx.update_progress(n / len(tags), f"Processing {n}/{len(tags)} items")
        ctx.log_step("Skipped P-999: duplicate", level=Level.WARN)
        ctx.set_stat("itemsProcessed", len(tags))

    worker.start()
    assert worker.wait_connected(10)
    [info] = api.workers.ListWorkers(pb.ListWorkersRequest(queue="py-steps"), timeout=10).workers
    assert (info.worker.name, info.worker.instance_id) == ("python-importer", worker.instance_id)
    assert list(info.queues) == ["py-steps"] and info.slots == 2 and dict(info.labels) == {"region": "eu"}

    tags = [f"P-{100 + n}" for n in range(1, 41)]
    workflow_id = api.start("PY_STEPS", tags=",".join(tags))
    watcher = Watcher(api, workflow_id)
    workflow = api.wait_ended(workflow_id)
    events = watcher.join()

    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow
    job = remote_job(workflow)
    assert seen["params"]["tags"] == ",".join(tags) and seen["attempt"] == 1
    assert (seen["workflow_id"], seen["job_name"], seen["job_id"]) == (workflow_id, "Process Data", job.id)
    assert seen["key"]
    assert job.status == pb.JOB_STATUS_COMPLETED and job.queue == "py-steps"
    assert (job.worker.name, job.worker.instance_id) == ("python-importer", worker.instance_id)
    assert [s.message for s in job.steps] == [f"Created {tag}" for tag in tags] + ["Skipped P-999: duplicate"]
    first = job.steps[0]
    assert (first.entity.tag, first.entity.route, first.entity.id, first.entity.type) == ("P-101", "/assets/1", "1", "asset")
    assert first.level == pb.LOG_LEVEL_INFO and job.steps[-1].level == pb.LOG_LEVEL_WARN
    assert not job.steps[-1].HasField("entity")
    assert job.progress == 1.0 and job.progress_message == "Processing 40/40 items"
    assert dict(job.stats.counters) == {"itemsCreated": 40, "itemsProcessed": 40}
    assert workflow.stats.counters["itemsCreated"] == 40

    watched_steps = [e.step for e in events if e.kind == STEP and e.job_id == job.id]
    assert [s.message for s in watched_steps] == [s.message for s in job.steps]
    assert watched_steps[1].entity.tag == "P-102"
    watched_progress = [e.progress for e in events if e.kind == PROGRESS and e.job_id == job.id]
    assert watched_progress == [n / 40 for n in range(1, 41)]
    [assigned] = [e for e in events if e.kind == ASSIGNED]
    assert assigned.worker.instance_id == worker.instance_id
    assert events[-1].kind == pb.LOG_EVENT_KIND_WORKFLOW_COMPLETED


def test_raising_fails_the_workflow_with_the_error_and_traceback(workflowd, api, make_worker):
    worker = make_worker(workflowd.address)
    calls = []

    @worker.job("py-fail")
    def process(ctx: JobContext):
        calls.append(ctx.attempt)
        ctx.log_step(f"attempt {ctx.attempt} reading row 7")
        parse_row(7)

    def parse_row(n):
        raise ValueError(f"bad row {n}: no tag")

    worker.start()
    workflow_id = api.start("PY_FAIL")
    workflow = api.wait_ended(workflow_id)
    assert workflow.status == pb.WORKFLOW_STATUS_FAILED, workflow
    assert calls == [1, 2]                                   # retries=1: the error is retryable
    job = remote_job(workflow)
    assert job.status == pb.JOB_STATUS_FAILED and job.attempt == 2
    assert "ValueError: bad row 7: no tag" in workflow.error
    assert "ValueError: bad row 7: no tag" in job.error
    assert "Traceback" in job.stack and "parse_row" in job.stack
    assert [s.message for s in job.steps] == ["attempt 1 reading row 7", "attempt 2 reading row 7"]
    assert job.failed_attempts[0].error.endswith("ValueError: bad row 7: no tag")
    assert "parse_row" in job.failed_attempts[0].stack
    wait_for(lambda: worker.jobs_running == 0, what="the slot to be free")


def test_a_job_failed_that_is_not_retryable_is_not_retried(workflowd, api, make_worker):
    worker = make_worker(workflowd.address)
    calls = []

    @worker.job("py-no-retry")
    def process(ctx: JobContext):
        calls.append(ctx.attempt)
        raise JobFailed("bad schema in row 3", code="VALIDATION", retryable=False)

    worker.start()
    workflow_id = api.start("PY_NO_RETRY")
    workflow = api.wait_ended(workflow_id)
    assert workflow.status == pb.WORKFLOW_STATUS_FAILED, workflow
    time.sleep(0.5)                                          # backoff=100ms: a retry would be here by now
    assert calls == [1]
    job = remote_job(workflow)
    assert job.attempt == 1 and "bad schema in row 3" in job.error
    assert api.get(workflow_id).status == pb.WORKFLOW_STATUS_FAILED
    codes = [attempt.error_code for attempt in job.failed_attempts]
    assert codes in ([], ["VALIDATION"]), job.failed_attempts


def test_cancellation_reaches_the_running_job(workflowd, api, make_worker):
    worker = make_worker(workflowd.address)
    started = threading.Event()
    seen = {}

    @worker.job("py-cancel")
    def process(ctx: JobContext):
        ctx.log_step("waiting for the cancel")
        started.set()
        seen["cancelled"] = ctx.cancel_event.wait(20)
        seen["reason"] = ctx.cancel_reason
        ctx.log_step("stopping on request")

    worker.start()
    workflow_id = api.start("PY_CANCEL")
    assert started.wait(15)
    api.workflows.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=workflow_id, reason="user pressed stop"), timeout=10)
    workflow = api.wait_ended(workflow_id)
    assert seen["cancelled"] is True, "ctx.cancelled never turned true"
    assert seen["reason"]
    assert workflow.status == pb.WORKFLOW_STATUS_CANCELLED, workflow
    assert remote_job(workflow).status == pb.JOB_STATUS_CANCELLED
    wait_for(lambda: worker.jobs_running == 0, what="the slot to be free")


def test_a_server_killed_mid_job_comes_back_and_every_step_is_recorded_once(own_workflowd, make_worker):
    """The job logs while the server runs, while it is frozen (those reports are sent but never
    read, so they must be sent again), and after it was killed and started again on the same
    port and data directory: the same attempt completes with every step once, in order."""
    server = own_workflowd
    api = Api(server.address)
    worker = make_worker(lambda: server.address, instance_id="restart-test-1")
    phases = {name: threading.Event() for name in ("before", "during", "go_on_during", "go_on_after")}

    @worker.job("py-restart")
    def process(ctx: JobContext):
        for n in range(30):
            ctx.log_step(f"before {n}", entity_tag=f"B-{n}")
            ctx.increment("itemsCreated")
            if n % 10 == 9:
                time.sleep(0.05)
        phases["before"].set()
        phases["go_on_during"].wait(30)
        for n in range(30):
            ctx.log_step(f"during {n}")
            ctx.increment("itemsCreated")
        phases["during"].set()
        phases["go_on_after"].wait(30)
        for n in range(30):
            ctx.log_step(f"after {n}")
            ctx.increment("itemsCreated")

    worker.start()
    workflow_id = api.start("PY_RESTART")
    assert phases["before"].wait(15)
    wait_for(lambda: len(remote_job(api.get(workflow_id)).steps) == 30, what="the first 30 steps to be recorded")
    api.close()
    server.freeze()                     # reads nothing from now on
    phases["go_on_during"].set()
    assert phases["during"].wait(15)
    time.sleep(0.3)                     # the worker sent those reports; no one will read them
    server.kill()
    wait_for(lambda: not worker.connected, what="the worker to notice")
    server.start()                      # same port, same data directory
    assert worker.wait_connected(15), "the worker did not reconnect"
    phases["go_on_after"].set()
    api = Api(server.address)
    try:
        workflow = api.wait_ended(workflow_id, timeout=60)
    finally:
        api.close()
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow
    job = remote_job(workflow)
    assert job.attempt == 1, "the attempt was not resumed: " + str(job.failed_attempts)
    expected = [f"{phase} {n}" for phase in ("before", "during", "after") for n in range(30)]
    assert [s.message for s in job.steps] == expected
    assert job.stats.counters["itemsCreated"] == 90
    assert job.worker.instance_id == "restart-test-1"


def test_a_lease_that_expired_while_the_worker_was_away_is_dropped_and_retried(own_workflowd, make_worker):
    """The worker cannot reach the server for longer than the lease's heartbeat timeout: the
    attempt times out; when the worker is back, the old attempt's job is cancelled and its
    later calls change nothing, and the retry runs and completes."""
    server = own_workflowd
    reachable = threading.Event()
    reachable.set()
    worker = make_worker(lambda: server.address if reachable.is_set() else f"127.0.0.1:{free_port()}")
    first_started = threading.Event()
    seen = {}

    @worker.job("py-expire")
    def process(ctx: JobContext):
        if ctx.attempt == 1:
            ctx.log_step("attempt 1 started")
            first_started.set()
            seen["cancelled"] = ctx.cancel_event.wait(30)
            ctx.log_step("attempt 1 after its lease ended")
            seen["ended"] = ctx.ended
            return
        ctx.log_step(f"attempt {ctx.attempt} done")

    worker.start()
    api = Api(server.address)
    workflow_id = api.start("PY_EXPIRE")
    assert first_started.wait(15)
    wait_for(lambda: len(remote_job(api.get(workflow_id)).steps) == 1, what="the first step")
    api.close()
    reachable.clear()
    server.kill()
    server.start()                      # the lease now lives 1 s without the worker
    api = Api(server.address)
    try:
        wait_for(lambda: remote_job(api.get(workflow_id)).attempt == 2, timeout=15, what="the attempt to time out")
        reachable.set()
        workflow = api.wait_ended(workflow_id, timeout=30)
    finally:
        api.close()
    assert seen == {"cancelled": True, "ended": True}
    wait_for(lambda: worker.jobs_running == 0, what="the slot to be free")
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow
    job = remote_job(workflow)
    assert [s.message for s in job.steps] == ["attempt 1 started", "attempt 2 done"]
    [timed_out] = job.failed_attempts
    assert timed_out.outcome == pb.JOB_ATTEMPT_OUTCOME_TIMED_OUT and timed_out.error_code == "TIMEOUT"


def test_a_graceful_stop_releases_the_job_and_another_worker_finishes_it(workflowd, api, make_worker):
    first = make_worker(workflowd.address, name="leaving", grace_period=0.3)
    started = threading.Event()
    seen = {}

    @first.job("py-release")
    def leaving(ctx: JobContext):
        ctx.log_step(f"started by the leaving worker (attempt {ctx.attempt})")
        started.set()
        seen["cancelled"] = ctx.cancel_event.wait(20)
        ctx.log_step("never recorded: the attempt was released")

    first.start()
    workflow_id = api.start("PY_RELEASE")
    assert started.wait(15)
    settled = first.stop()
    assert seen["cancelled"] is True
    attempt = remote_job(api.get(workflow_id)).attempt
    assert attempt == 2, (f"the released job is at attempt {attempt}: the server assigned it back to the "
                          f"stopping worker {attempt - 2} more times (each handed back unrun)")
    assert settled is True, "the release was not acknowledged"

    second = make_worker(workflowd.address, name="staying")

    @second.job("py-release")
    def staying(ctx: JobContext):
        ctx.log_step(f"finished by the staying worker (attempt {ctx.attempt})")
        return {"itemsProcessed": 1}

    second.start()
    workflow = api.wait_ended(workflow_id)
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow
    job = remote_job(workflow)
    assert job.attempt == 2 and job.worker.instance_id == second.instance_id
    assert [s.message for s in job.steps] == ["started by the leaving worker (attempt 1)",
                                               "finished by the staying worker (attempt 2)"]
    [released] = job.failed_attempts
    assert released.outcome == pb.JOB_ATTEMPT_OUTCOME_INTERRUPTED
    assert released.worker.instance_id == first.instance_id
    assert dict(job.stats.counters) == {"itemsProcessed": 1}


def test_a_worker_never_runs_more_jobs_than_its_slots(workflowd, api, make_worker):
    worker = make_worker(workflowd.address, slots=2)
    lock = threading.Lock()
    running, peak, in_use = [], [0], []

    @worker.job("py-slots")
    def process(ctx: JobContext):
        with lock:
            running.append(ctx.workflow_id)
            peak[0] = max(peak[0], len(running))
        time.sleep(0.4)
        with lock:
            running.remove(ctx.workflow_id)

    worker.start()
    assert worker.wait_connected(10)
    workflow_ids = [api.start("PY_SLOTS") for _ in range(5)]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        [info] = api.workers.ListWorkers(pb.ListWorkersRequest(queue="py-slots"), timeout=10).workers
        in_use.append(info.slots_in_use)
        if all(api.get(w).status != pb.WORKFLOW_STATUS_RUNNING for w in workflow_ids):
            break
        time.sleep(0.05)
    for workflow_id in workflow_ids:
        assert api.get(workflow_id).status == pb.WORKFLOW_STATUS_COMPLETED
    assert peak[0] == 2, f"at most {peak[0]} jobs ran at once; expected exactly 2"
    assert max(in_use) <= 2


def test_stopping_one_of_two_workers_hands_its_job_to_the_other(workflowd, api, make_worker):
    leaving = make_worker(workflowd.address, name="leaving", grace_period=0.3)
    staying = make_worker(workflowd.address, name="staying")
    started = threading.Event()
    finished_by = []

    @leaving.job("py-release")
    def leave(ctx: JobContext):
        started.set()
        ctx.cancel_event.wait(20)

    @staying.job("py-release")
    def stay(ctx: JobContext):
        if not started.is_set():            # the first attempt: hold it until the other stops
            started.set()
            ctx.cancel_event.wait(20)
            return
        finished_by.append(ctx.attempt)
        ctx.log_step("finished by the staying worker")

    leaving.start()
    assert leaving.wait_connected(10)
    workflow_id = api.start("PY_RELEASE")
    assert started.wait(15)
    staying.start()
    assert staying.wait_connected(10)
    assert leaving.stop() is True
    workflow = api.wait_ended(workflow_id)
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow
    job = remote_job(workflow)
    assert job.worker.instance_id == staying.instance_id and finished_by == [job.attempt]
    assert all(a.outcome == pb.JOB_ATTEMPT_OUTCOME_INTERRUPTED for a in job.failed_attempts)
