"""The Worker against the real workflowd, mostly through a recording TCP proxy (`tap`): the hello,
reports, ends, heartbeats, logging while the server is frozen, a restart that loses
acknowledgements, cancellation, a refused report, slots, graceful stop, the target function and
the context manager.

What the server shows (GetWorkflow, WatchLogs, ListWorkers) is checked first; what only the
wire shows (how calls are cut into reports, the end a job sent) is read from the proxy's
recording, and every recording is checked against the protocol's rules when the test ends.
Faults are real: SIGSTOP/SIGCONT, SIGKILL and a restart on the same port and data directory,
bytes held or cut by the proxy, a second process with the same instance id.
"""

from __future__ import annotations

import statistics
import threading
import time

import pytest

from conftest import Api, Watcher, remote_job, wait_for
from grpc_wire import connections, of_kind, reports_of, worker_messages
from workflow_worker import JobContext, JobFailed, WorkerState
from workflow_worker.protos import workflow_pb2 as pb

INTERRUPTED = pb.JOB_ATTEMPT_OUTCOME_INTERRUPTED


def test_the_hello_says_who_the_worker_is(workflowd, api, tap, make_worker):
    proxy = tap(workflowd)
    worker = make_worker(proxy.address, name="python-importer", slots=3, labels={"region": "eu"},
                         instance_id="host-1-42")
    worker.job("py-hello-b")(lambda ctx: None)
    worker.job("py-hello-a")(lambda ctx: None)
    worker.start()
    assert worker.wait_connected(10)

    [hello] = of_kind(worker_messages(proxy.sent()[0]), "hello")
    assert hello.name == "python-importer" and hello.instance_id == "host-1-42"
    assert list(hello.queues) == ["py-hello-a", "py-hello-b"] and hello.slots == 3
    assert dict(hello.labels) == {"region": "eu"} and list(hello.held_leases) == []
    [info] = api.list_workers("py-hello-a")
    assert (info.worker.name, info.worker.instance_id) == ("python-importer", "host-1-42")
    assert list(info.queues) == ["py-hello-a", "py-hello-b"] and info.slots == 3
    assert dict(info.labels) == {"region": "eu"} and list(info.leases) == []


def test_a_job_reports_its_calls_in_order_and_completes_once(workflowd, api, tap, make_worker):
    proxy = tap(workflowd)
    worker = make_worker(proxy.address)

    @worker.job("py-reports")
    def job(ctx: JobContext):
        ctx.start()
        for n in range(1, 601):
            ctx.log_step(f"Created P-{n}", entity_tag=f"P-{n}")
            if n % 100 == 0:
                ctx.update_progress(n / 600, f"{n}/600")
            ctx.increment("itemsCreated")
        return {"itemsProcessed": 600}

    worker.start()
    workflow_id = api.start("PY_REPORTS", file_path="x")
    watcher = Watcher(api, workflow_id)
    workflow = api.wait_ended(workflow_id)
    events = watcher.join()

    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow
    job = remote_job(workflow)
    assert [s.message for s in job.steps] == [f"Created P-{n}" for n in range(1, 601)]
    assert job.steps[599].entity.tag == "P-600"
    assert dict(job.stats.counters) == {"itemsCreated": 600, "itemsProcessed": 600}
    assert (job.progress, job.progress_message) == (1.0, "600/600")
    progress = [e.progress for e in events if e.kind == pb.LOG_EVENT_KIND_PROGRESS_UPDATED]
    assert progress == pytest.approx([n / 6 for n in range(1, 7)])
    assert [e.kind for e in events].count(pb.LOG_EVENT_KIND_JOB_COMPLETED) == 1

    reports = reports_of(proxy.sent(), workflow_id)
    assert [r.sequence for r in reports] == list(range(1, len(reports) + 1))
    assert len(reports) >= 3 and all(len(r.updates) <= 256 for r in reports)   # 256 calls per report at most
    assert [r.WhichOneof("end") for r in reports] == [None] * (len(reports) - 1) + ["completed"]
    wait_for(lambda: worker.jobs_running == 0, what="the slot to be free")


def test_raising_fails_with_the_traceback_and_job_failed_sets_code_and_retry(workflowd, api, tap, make_worker):
    proxy = tap(workflowd)
    worker = make_worker(proxy.address, slots=2)

    @worker.job("py-boom")
    def boom(ctx):
        ctx.log_step("about to fail")
        raise ValueError("bad row 7")

    @worker.job("py-invalid")
    def invalid(ctx):
        raise JobFailed("bad schema", code="VALIDATION", retryable=False)

    worker.start()
    boom_id, invalid_id = api.start("PY_BOOM"), api.start("PY_INVALID")
    boom_job, invalid_job = remote_job(api.wait_ended(boom_id)), remote_job(api.wait_ended(invalid_id))

    # PY_BOOM allows one retry and the error is retryable; PY_INVALID allows three, but not
    # for this failure.
    assert boom_job.status == pb.JOB_STATUS_FAILED and boom_job.attempt == 2
    assert [(a.error, a.error_code) for a in boom_job.failed_attempts] == [("ValueError: bad row 7", "ERROR")] * 2
    assert "Traceback" in boom_job.stack and "raise ValueError" in boom_job.stack
    assert [s.message for s in boom_job.steps] == ["about to fail"] * 2
    assert invalid_job.status == pb.JOB_STATUS_FAILED and invalid_job.attempt == 1
    assert [(a.error, a.error_code) for a in invalid_job.failed_attempts] == [("bad schema", "VALIDATION")]

    [failed, _] = [r.failed for r in reports_of(proxy.sent(), boom_id) if r.HasField("failed")]
    assert failed.error == "ValueError: bad row 7"
    assert "Traceback" in failed.stack and "raise ValueError" in failed.stack
    assert failed.error_code == "" and not failed.do_not_retry
    [failed] = [r.failed for r in reports_of(proxy.sent(), invalid_id) if r.HasField("failed")]
    assert (failed.error, failed.error_code, failed.do_not_retry) == ("bad schema", "VALIDATION", True)


def test_heartbeats_come_at_the_welcomes_interval_and_keep_the_lease(workflowd, api, tap, make_worker):
    """PY_HEARTBEAT's lease expires 5 s after the last heartbeat listing it (or report); the
    job holds it three times that long without logging anything. The welcome asks for a
    heartbeat every second (without it the worker would send one every 5 s).

    workflowd always asks for 1 s, so other intervals are left to test_ledger.py."""
    hold = 15.0
    proxy = tap(workflowd)
    worker = make_worker(proxy.address)
    started, release = threading.Event(), threading.Event()

    @worker.job("py-heartbeat")
    def job(ctx):
        started.set()
        release.wait(60)

    worker.start()
    workflow_id = api.start("PY_HEARTBEAT")
    assert started.wait(15)
    heard, leases = [], []
    deadline = time.monotonic() + hold
    while time.monotonic() < deadline:
        [info] = api.list_workers("py-heartbeat")
        leases.append(list(info.leases))
        if not heard or info.last_heartbeat_at_ms != heard[-1]:
            heard.append(info.last_heartbeat_at_ms)
        time.sleep(0.05)
    release.set()
    workflow = api.wait_ended(workflow_id)

    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow
    job = remote_job(workflow)
    assert job.attempt == 1 and list(job.failed_attempts) == []
    gaps = [later - earlier for earlier, later in zip(heard, heard[1:])]
    assert len(gaps) >= 5 and 500 <= statistics.median(gaps) <= 2500, f"heartbeats {gaps} ms apart"
    token = leases[0][0]
    assert leases == [[token]] * len(leases)
    beats = [list(beat.leases) for beat in of_kind(worker_messages(proxy.sent()[0]), "heartbeat") if beat.leases]
    assert len(beats) >= 5 and beats == [[token]] * len(beats)


def test_log_step_does_not_wait_for_the_network(own_workflowd, tap, make_worker):
    """With the server frozen (SIGSTOP) the job logs 10,000 steps of 400 bytes, 4 MB: more than
    HTTP/2 flow control lets through (the server's stream window is 1 MiB), so a log_step that
    waited for the network, even only to hand its bytes over, would block until SIGCONT. After
    it every step is recorded once."""
    calls, bound = 10_000, 20.0      # 10,000 calls take about 0.1 s here
    filler = "." * 400
    server = own_workflowd
    proxy = tap(server)
    api = Api(server.address)
    worker = make_worker(proxy.address, grace_period=10)
    started, proceed = threading.Event(), threading.Event()
    took = []

    @worker.job("py-unblocked")
    def job(ctx):
        started.set()
        proceed.wait(30)
        began = time.monotonic()
        for n in range(calls):
            ctx.log_step(f"step {n} {filler}")
        took.append(time.monotonic() - began)

    def sent_bytes():
        return sum(len(sent) for sent in proxy.sent())

    worker.start()
    try:
        workflow_id = api.start("PY_UNBLOCKED")
        assert started.wait(15)
        server.freeze()
        try:
            before = sent_bytes()
            proceed.set()
            wait_for(lambda: took, timeout=bound, what=f"{calls} log_step calls with the server frozen")
            through = sent_bytes() - before
        finally:
            server.thaw()
        workflow = api.wait_ended(workflow_id, timeout=60)
    finally:
        api.close()
    assert through < calls * len(filler) / 2, f"the network took {through} bytes: it would not have blocked"
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow
    assert [s.message for s in remote_job(workflow).steps] == [f"step {n} {filler}" for n in range(calls)]


def test_after_a_restart_the_job_goes_on_and_every_step_is_applied_once(own_workflowd, tap, make_worker):
    """The server applies the job's first 50 steps, but its acknowledgements never reach the
    worker (the proxy holds them); then it is killed and started again on the same port and
    data directory. The worker reconnects as the same instance holding the lease, gets it back,
    and the job goes on under the same attempt with every step recorded once."""
    server = own_workflowd
    proxy = tap(server)
    api = Api(server.address)
    worker = make_worker(proxy.address, instance_id="keep-me")
    started, proceed, midway, go_on = (threading.Event() for _ in range(4))

    @worker.job("py-resume")
    def job(ctx):
        started.set()
        proceed.wait(30)
        for n in range(50):
            ctx.log_step(f"before {n}")
        midway.set()
        go_on.wait(30)
        for n in range(50):
            ctx.log_step(f"after {n}")

    worker.start()
    workflow_id = api.start("PY_RESUME")
    assert started.wait(15)
    proxy.hold(to_client=True)
    proceed.set()
    assert midway.wait(15)
    wait_for(lambda: len(remote_job(api.get(workflow_id)).steps) == 50, what="the first 50 steps to be applied")
    api.close()
    server.kill()
    proxy.cut()                         # the held acknowledgements are lost
    proxy.release()
    server.start()
    wait_for(lambda: proxy.connections >= 2 and worker.connected, timeout=15, what="the worker to reconnect")
    go_on.set()
    api = Api(server.address)
    try:
        workflow = api.wait_ended(workflow_id)
    finally:
        api.close()

    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow
    job = remote_job(workflow)
    assert [s.message for s in job.steps] == [f"{phase} {n}" for phase in ("before", "after") for n in range(50)]
    assert job.attempt == 1 and list(job.failed_attempts) == [] and job.worker.instance_id == "keep-me"
    first, *later = connections(proxy.sent())      # later: every reconnection, failed ones too
    token = of_kind(first, "report")[0].lease
    rehellos = [hello for messages in later for hello in of_kind(messages, "hello")]
    assert rehellos and all(hello.instance_id == "keep-me" and list(hello.held_leases) == [token]
                            for hello in rehellos), rehellos


def test_cancellation_reaches_the_job_and_its_end_is_still_sent(workflowd, api, tap, make_worker):
    """A cancellation that leaves the lease live: the job sees it, logs, and its end goes out,
    so the server ends the job at once instead of after the job's 5 s cancellation grace."""
    proxy = tap(workflowd)
    worker = make_worker(proxy.address)
    started = threading.Event()

    @worker.job("py-cancel-end")
    def job(ctx):
        started.set()
        while not ctx.cancelled:
            time.sleep(0.01)
        ctx.log_step(f"stopping: {ctx.cancel_reason}")

    worker.start()
    workflow_id = api.start("PY_CANCEL_END")
    assert started.wait(15)
    asked = time.monotonic()
    api.cancel(workflow_id, reason="workflow cancelled")
    workflow = api.wait_ended(workflow_id)
    took = time.monotonic() - asked

    assert workflow.status == pb.WORKFLOW_STATUS_CANCELLED, workflow
    job = remote_job(workflow)
    assert job.status == pb.JOB_STATUS_CANCELLED
    assert [s.message for s in job.steps] == ["stopping: workflow cancelled"]
    assert took < 4.0, f"the job ended {took:.1f} s after the cancel: the server gave up waiting for its end"
    [end] = [r for r in reports_of(proxy.sent(), workflow_id) if r.WhichOneof("end")]
    assert end.failed.error_code == "CANCELLED"
    wait_for(lambda: worker.jobs_running == 0, what="the slot to be free")


def test_a_refused_report_cancels_the_job_and_drops_its_reports(workflowd, api, tap, make_worker):
    """A second process with the same instance id connects (as a copied configuration would):
    the server replaces the first one's connection, so the first one's next report is refused
    (FAILED_PRECONDITION). Its job is cancelled, its later calls are dropped and its slot is
    freed; the server decides the attempt without them.

    workflowd refuses nothing else a correct worker sends: a lease that ends on a live stream
    is cancelled before a report can be refused. The other refusals (NOT_FOUND,
    INVALID_ARGUMENT, OUT_OF_RANGE) are left to test_ledger.py."""
    proxy = tap(workflowd)
    first = make_worker(proxy.address, instance_id="twin")
    logged, replaced = threading.Event(), threading.Event()
    seen = {}

    @first.job("py-refused")
    def job(ctx):
        ctx.log_step("first")
        logged.set()
        replaced.wait(30)
        ctx.log_step("second: refused")
        seen["cancelled"] = ctx.cancel_event.wait(30)
        seen["reason"] = ctx.cancel_reason
        ctx.log_step("too late")
        seen["ended"] = ctx.ended

    first.start()
    workflow_id = api.start("PY_REFUSED")
    assert logged.wait(15)
    wait_for(lambda: len(remote_job(api.get(workflow_id)).steps) == 1, what="the first step")
    twin = make_worker(workflowd.address, instance_id="twin")
    twin.job("py-refused-twin")(lambda ctx: None)
    twin.start()
    wait_for(lambda: not api.list_workers("py-refused"), what="the twin to replace the first worker")
    replaced.set()
    wait_for(lambda: "ended" in seen, what="the job to be cancelled")
    assert seen["cancelled"] and "refused" in seen["reason"] and seen["ended"], seen
    wait_for(lambda: first.jobs_running == 0, what="the slot to be free")
    api.cancel(workflow_id)                 # its job may wait for a worker of py-refused again
    workflow = api.wait_ended(workflow_id)

    assert [s.message for s in remote_job(workflow).steps] == ["first"]
    assert [r.sequence for r in reports_of(proxy.sent(), workflow_id)] == [1, 2]   # nothing after the refusal


def test_a_worker_runs_at_most_slots_jobs_at_once(workflowd, api, tap, make_worker):
    """Each job ends its attempt, then goes on in its thread for a while: the server, which
    counts the attempt's slot free, assigns the next one at once, more than the worker has
    threads for. The worker queues it until a thread is free."""
    worker = make_worker(tap(workflowd).address, slots=2)
    lock = threading.Lock()
    running, peak, held = [], [0], [0]

    @worker.job("py-over-slots")
    def job(ctx):
        with lock:
            running.append(ctx.job_id)
            peak[0] = max(peak[0], len(running))
        ctx.complete()
        until = time.monotonic() + 0.5
        while time.monotonic() < until:
            held[0] = max(held[0], worker.jobs_running)
            time.sleep(0.01)
        with lock:
            running.remove(ctx.job_id)

    worker.start()
    workflow_ids = [api.start("PY_OVER_SLOTS") for _ in range(5)]
    for workflow_id in workflow_ids:
        assert api.wait_ended(workflow_id).status == pb.WORKFLOW_STATUS_COMPLETED
    assert held[0] > 2, "the server never handed the worker more jobs than it had threads free"
    assert peak[0] == 2, f"{peak[0]} jobs ran at once on 2 slots"


def test_graceful_stop_releases_running_jobs_and_hands_back_new_assignments(workflowd, api, tap, make_worker):
    """The proxy holds what the worker sends, so the server does not learn that the worker is
    stopping and assigns it one more job: the worker hands it back unrun. The running job is
    released at the end of the grace period. Once the proxy lets it all through, the server
    acknowledges and the stream closes."""
    proxy = tap(workflowd)
    worker = make_worker(proxy.address, slots=2, grace_period=0.5, release_timeout=30)
    started = threading.Event()
    ran, cancelled, stopped = [], [], []

    @worker.job("py-stopping")
    def slow(ctx):
        ran.append(ctx.workflow_id)
        ctx.log_step("working")
        started.set()
        cancelled.append(ctx.cancel_event.wait(30))
        ctx.log_step("ignored: released already")

    @worker.job("py-quick")
    def quick(ctx):
        ctx.log_step("done quickly")

    started_ids = []

    def start(workflow_type):
        started_ids.append(api.start(workflow_type))
        return started_ids[-1]

    worker.start()
    try:
        slow_id = start("PY_STOPPING")
        assert started.wait(15)
        assert api.wait_ended(start("PY_QUICK")).status == pb.WORKFLOW_STATUS_COMPLETED
        proxy.hold(to_server=True)
        stopper = threading.Thread(target=lambda: stopped.append(worker.stop()))
        stopper.start()
        wait_for(lambda: worker.state is not WorkerState.RUNNING, what="the worker to start stopping")
        late_id = start("PY_STOPPING")                        # the server has a free slot for it
        wait_for(lambda: any(r.HasField("released") for r in reports_of(proxy.sent(), late_id)),
                 what="the late assignment to be handed back")
        proxy.release()
        stopper.join(30)
        assert not stopper.is_alive()

        assert stopped == [True] and cancelled == [True] and ran == [slow_id]
        assert worker.state is WorkerState.STOPPED
        slow_job, late_job = remote_job(api.get(slow_id)), remote_job(api.get(late_id))
        assert [s.message for s in slow_job.steps] == ["working"] and late_job.steps == []
        for job in (slow_job, late_job):
            [released] = job.failed_attempts
            assert released.outcome == INTERRUPTED and released.worker.instance_id == worker.instance_id
            assert released.error.endswith("worker stopping"), released.error
        [late_report] = reports_of(proxy.sent(), late_id)
        assert late_report.released.reason == "worker stopping" and list(late_report.updates) == []
        wait_for(lambda: not api.list_workers("py-stopping"), what="the stream to close")
    finally:
        for workflow_id in started_ids:     # a released job waits for a worker again
            if api.get(workflow_id).status == pb.WORKFLOW_STATUS_RUNNING:
                api.cancel(workflow_id)


def test_stop_waits_for_running_jobs_within_the_grace_period(workflowd, api, tap, make_worker):
    proxy = tap(workflowd)
    worker = make_worker(proxy.address, grace_period=30)
    started = threading.Event()

    @worker.job("py-grace")
    def job(ctx):
        started.set()
        time.sleep(0.5)
        ctx.log_step("finished in time")

    worker.start()
    workflow_id = api.start("PY_GRACE")
    assert started.wait(15)
    assert worker.stop() is True
    workflow = api.wait_ended(workflow_id)
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow
    job = remote_job(workflow)
    assert [s.message for s in job.steps] == ["finished in time"] and list(job.failed_attempts) == []
    assert reports_of(proxy.sent(), workflow_id)[-1].HasField("completed")


def test_the_target_is_read_again_on_each_connection(workflowd, tap, make_worker):
    """Two proxies to the same server are two addresses: the worker starts on the first; the
    target function then names the second, and the first stops answering."""
    first, second = tap(workflowd), tap(workflowd)
    targets = [first.address]
    worker = make_worker(lambda: targets[0], instance_id="moving")
    worker.job("py-target")(lambda ctx: None)
    worker.start()
    assert worker.wait_connected(10)
    targets[0] = second.address
    first.close()
    wait_for(lambda: second.connections >= 1 and worker.connected, what="the worker to connect to the new target")
    assert first.connections == 1
    hellos = [hello for messages in connections(second.sent()) for hello in of_kind(messages, "hello")]
    assert hellos and all(hello.instance_id == "moving" for hello in hellos)


def test_a_bad_return_value_fails_the_attempt_instead_of_losing_it(workflowd, api, tap, make_worker):
    proxy = tap(workflowd)
    worker = make_worker(proxy.address)
    worker.job("py-bad-return")(lambda ctx: {"itemsProcessed": "many"})
    worker.start()
    workflow_id = api.start("PY_BAD_RETURN")
    workflow = api.wait_ended(workflow_id)
    assert workflow.status == pb.WORKFLOW_STATUS_FAILED, workflow
    assert remote_job(workflow).error.startswith("TypeError: counter 'itemsProcessed' must be an integer")
    [end] = [r for r in reports_of(proxy.sent(), workflow_id) if r.WhichOneof("end")]
    assert end.failed.error.startswith("TypeError: counter 'itemsProcessed' must be an integer")
    wait_for(lambda: worker.jobs_running == 0, what="the slot to be free")


def test_a_context_manager_starts_and_stops(workflowd, api, tap, make_worker):
    proxy = tap(workflowd)
    worker = make_worker(proxy.address)
    worker.job("py-with")(lambda ctx: None)
    with worker:
        assert worker.wait_connected(10)
        assert api.wait_ended(api.start("PY_WITH")).status == pb.WORKFLOW_STATUS_COMPLETED
    assert worker.state is WorkerState.STOPPED and not worker.connected
    wait_for(lambda: not api.list_workers("py-with"), what="the server to see the stream end")
