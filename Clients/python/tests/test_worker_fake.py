"""The Worker over real gRPC against the in-process FakeWorkerService: hello, running jobs,
ends, heartbeats, reconnects with resends, cancellations, refusals, slots and graceful stop.

The same behaviours against the real workflowd are in test_workflowd.py.
"""

import threading
import time

import pytest

from fake_server import FakeServer
from workflow_worker import JobContext, JobFailed, Worker, WorkerState
from workflow_worker.protos import workflow_pb2 as pb


@pytest.fixture
def fake():
    server = FakeServer()
    yield server
    server.stop()
    assert server.service.violations == []


@pytest.fixture
def make_worker(fake):
    workers = []

    def make(**options):
        options.setdefault("name", "fake-test")
        options.setdefault("reconnect_initial", 0.05)
        options.setdefault("reconnect_max", 0.2)
        options.setdefault("grace_period", 5.0)
        worker = Worker(options.pop("target", lambda: fake.address), **options)
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.stop(timeout=0)


def wait_for(condition, timeout=10.0, what="a condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.01)


def test_hello_says_who_the_worker_is(fake, make_worker):
    worker = make_worker(name="python-importer", slots=3, labels={"region": "eu"}, instance_id="host-1-42")
    worker.job("b")(lambda ctx: None)
    worker.job("a")(lambda ctx: None)
    worker.start()
    assert worker.wait_connected(10)
    hello = fake.service.current().hello
    assert hello.name == "python-importer" and hello.instance_id == "host-1-42"
    assert list(hello.queues) == ["a", "b"] and hello.slots == 3 and dict(hello.labels) == {"region": "eu"}
    assert list(hello.held_leases) == []


def test_a_job_reports_its_calls_in_order_and_completes_once(fake, make_worker):
    worker = make_worker()

    @worker.job("q")
    def job(ctx: JobContext):
        ctx.start()
        for n in range(1, 601):
            ctx.log_step(f"Created P-{n}", entity_tag=f"P-{n}")
            if n % 100 == 0:
                ctx.update_progress(n / 600, f"{n}/600")
            ctx.increment("itemsCreated")
        return {"itemsProcessed": 600}

    worker.start()
    token = fake.service.assign("q", params={"file_path": "x"})
    end = fake.service.wait_end(token)
    applied = fake.service.lease(token)
    assert end.HasField("completed")
    assert applied.steps == [f"Created P-{n}" for n in range(1, 601)]
    assert len(applied.reports) >= 3                          # 256 calls per report at most
    assert all(len(r.updates) <= 256 for r in applied.reports)
    progress = [u.progress.progress for r in applied.reports for u in r.updates if u.HasField("progress")]
    assert progress == pytest.approx([n / 6 for n in range(1, 7)])
    assert applied.counters == {"itemsCreated": 600, "itemsProcessed": 600}
    assert [r.sequence for r in applied.reports] == list(range(1, len(applied.reports) + 1))
    wait_for(lambda: worker.jobs_running == 0, what="the slot to be free")


def test_raising_fails_with_the_traceback_and_job_failed_sets_code_and_retry(fake, make_worker):
    worker = make_worker(slots=2)

    @worker.job("boom")
    def boom(ctx):
        ctx.log_step("about to fail")
        raise ValueError("bad row 7")

    @worker.job("invalid")
    def invalid(ctx):
        raise JobFailed("bad schema", code="VALIDATION", retryable=False)

    worker.start()
    first = fake.service.assign("boom")
    second = fake.service.assign("invalid")
    failed = fake.service.wait_end(first).failed
    assert failed.error == "ValueError: bad row 7"
    assert "Traceback" in failed.stack and "raise ValueError" in failed.stack
    assert failed.error_code == "" and not failed.do_not_retry
    assert fake.service.lease(first).steps == ["about to fail"]
    failed = fake.service.wait_end(second).failed
    assert (failed.error, failed.error_code, failed.do_not_retry) == ("bad schema", "VALIDATION", True)


def test_heartbeats_come_at_the_welcomes_interval_and_list_the_leases(fake, make_worker):
    fake.service.heartbeat_interval_ms = 100
    release = threading.Event()
    worker = make_worker()
    worker.job("q")(lambda ctx: release.wait(10))
    worker.start()
    token = fake.service.assign("q")
    connection = fake.service.current()
    fake.service.wait(lambda: len(connection.heartbeats()) >= 4, what="four heartbeats")
    assert any(list(beat.leases) == [token] for beat in connection.heartbeats())
    release.set()
    fake.service.wait_end(token)


def test_log_step_does_not_wait_for_the_network(fake, make_worker):
    proceed = threading.Event()
    started = threading.Event()
    timings = []
    worker = make_worker(grace_period=10)

    @worker.job("q")
    def job(ctx):
        started.set()
        proceed.wait(10)
        began = time.monotonic()
        for n in range(5000):
            ctx.log_step(f"step {n}")
        timings.append(time.monotonic() - began)

    worker.start()
    token = fake.service.assign("q")
    assert started.wait(10)
    fake.stop()                                        # the server is gone while the job logs
    proceed.set()
    wait_for(lambda: timings, what="the job to log")
    assert timings[0] < 2.0, f"5000 log_step calls took {timings[0]:.2f} s with the server down"
    fake.start()
    fake.service.wait_end(token, timeout=15)
    assert len(fake.service.lease(token).steps) == 5000


def test_after_a_restart_the_job_goes_on_and_every_step_is_applied_once(fake, make_worker):
    midway = threading.Event()
    go_on = threading.Event()
    worker = make_worker(instance_id="keep-me")

    @worker.job("q")
    def job(ctx):
        for n in range(50):
            ctx.log_step(f"before {n}")
        midway.set()
        go_on.wait(10)
        for n in range(50):
            ctx.log_step(f"after {n}")

    worker.start()
    token = fake.service.assign("q")
    assert midway.wait(10)
    fake.service.ack = False                           # applied, never acknowledged: resent later
    time.sleep(0.2)
    fake.restart(down_for=0.3)
    fake.service.ack = True
    go_on.set()
    fake.service.wait_end(token, timeout=15)
    applied = fake.service.lease(token)
    assert applied.steps == [f"before {n}" for n in range(50)] + [f"after {n}" for n in range(50)]
    rehello = fake.service.current().hello
    assert rehello.instance_id == "keep-me" and list(rehello.held_leases) == [token]


def test_a_lease_the_server_does_not_give_back_cancels_the_job(fake, make_worker):
    seen = {}
    started = threading.Event()
    worker = make_worker()

    @worker.job("q")
    def job(ctx):
        started.set()
        seen["cancelled"] = ctx.cancel_event.wait(10)
        ctx.log_step("after the lease ended")
        seen["ended"] = ctx.ended

    worker.start()
    token = fake.service.assign("q")
    assert started.wait(10)
    fake.service.lease(token).live = False             # expired while the worker was away
    fake.restart()
    wait_for(lambda: "ended" in seen, what="the job to see the cancellation")
    assert seen == {"cancelled": True, "ended": True}
    wait_for(lambda: worker.jobs_running == 0, what="the slot to be free")
    assert fake.service.lease(token).reports == []


def test_cancellation_reaches_the_job_and_its_end_is_still_sent(fake, make_worker):
    worker = make_worker()
    started = threading.Event()

    @worker.job("q")
    def job(ctx):
        started.set()
        while not ctx.cancelled:
            time.sleep(0.01)
        ctx.log_step(f"stopping: {ctx.cancel_reason}")

    worker.start()
    token = fake.service.assign("q")
    assert started.wait(10)
    fake.service.cancel(token, lease_ended=False, reason="workflow cancelled")
    end = fake.service.wait_end(token)
    assert end.failed.error_code == "CANCELLED"
    assert fake.service.lease(token).steps == ["stopping: workflow cancelled"]


def test_a_refused_lease_cancels_the_job_and_drops_its_reports(fake, make_worker):
    worker = make_worker()
    logged = threading.Event()
    seen = {}

    @worker.job("q")
    def job(ctx):
        ctx.log_step("first")
        logged.set()
        ctx.cancel_event.wait(10)
        seen["reason"] = ctx.cancel_reason
        ctx.log_step("too late")
        seen["ended"] = ctx.ended

    worker.start()
    token = fake.service.assign("q")
    assert logged.wait(10)
    fake.service.wait(lambda: fake.service.lease(token).sequence == 1, what="the first report")
    fake.service.current().send(pb.ServerMessage(refusal=pb.ReportRefusal(
        lease=token, sequence=2, code=9, message="lease ended")))
    wait_for(lambda: "ended" in seen, what="the job to be cancelled")
    assert "refused" in seen["reason"] and seen["ended"]
    wait_for(lambda: worker.jobs_running == 0, what="the slot to be free")
    time.sleep(0.1)
    assert fake.service.lease(token).steps == ["first"]   # nothing after the refusal


def test_a_worker_runs_at_most_slots_jobs_at_once(fake, make_worker):
    running = []
    peak = []
    lock = threading.Lock()
    worker = make_worker(slots=2)

    @worker.job("q")
    def job(ctx):
        with lock:
            running.append(ctx.job_id)
            peak.append(len(running))
        time.sleep(0.2)
        with lock:
            running.remove(ctx.job_id)

    worker.start()
    tokens = [fake.service.assign("q") for _ in range(5)]   # more than the server would
    for token in tokens:
        assert fake.service.wait_end(token).HasField("completed")
    assert max(peak) == 2


def test_graceful_stop_releases_running_jobs_and_hands_back_new_assignments(fake, make_worker):
    worker = make_worker(grace_period=0.5, slots=2)
    started = threading.Event()
    cancelled = []

    @worker.job("q")
    def job(ctx):
        ctx.log_step("working")
        started.set()
        cancelled.append(ctx.cancel_event.wait(10))
        ctx.log_step("ignored: released already")

    @worker.job("quick")
    def quick(ctx):
        ctx.log_step("done quickly")

    worker.start()
    slow = fake.service.assign("q")
    assert started.wait(10)
    quick_token = fake.service.assign("quick")
    fake.service.wait_end(quick_token)
    stopper = threading.Thread(target=lambda: cancelled.append(("stop", worker.stop())))
    stopper.start()
    wait_for(lambda: worker.state is not WorkerState.RUNNING, what="the worker to start stopping")
    late = fake.service.assign("q")                    # after stop began: handed back unrun
    stopper.join(15)
    assert not stopper.is_alive()
    assert ("stop", True) in cancelled and True in cancelled
    end = fake.service.lease(slow).ends[0]
    assert end.released.reason == "worker stopping"
    assert fake.service.lease(slow).steps == ["working"]
    assert fake.service.lease(late).ends[0].HasField("released") and fake.service.lease(late).steps == []
    assert worker.state is WorkerState.STOPPED
    fake.service.wait(lambda: all(c.ended.is_set() for c in fake.service.connections), what="the stream to close")


def test_stop_waits_for_running_jobs_within_the_grace_period(fake, make_worker):
    worker = make_worker(grace_period=5)

    @worker.job("q")
    def job(ctx):
        time.sleep(0.5)
        ctx.log_step("finished in time")

    worker.start()
    token = fake.service.assign("q")
    time.sleep(0.1)
    assert worker.stop() is True
    assert fake.service.lease(token).ends[0].HasField("completed")
    assert fake.service.lease(token).steps == ["finished in time"]


def test_the_target_is_read_again_on_each_connection(fake, make_worker):
    other = FakeServer()
    try:
        targets = [fake.address]
        worker = make_worker(target=lambda: targets[0])
        worker.job("q")(lambda ctx: None)
        worker.start()
        assert worker.wait_connected(10)
        targets[0] = other.address
        fake.stop()
        other.service.current(timeout=10)
    finally:
        worker.stop(timeout=0)
        other.stop()


def test_a_bad_return_value_fails_the_attempt_instead_of_losing_it(fake, make_worker):
    worker = make_worker()
    worker.job("q")(lambda ctx: {"itemsProcessed": "many"})
    worker.start()
    token = fake.service.assign("q")
    failed = fake.service.wait_end(token).failed
    assert failed.error.startswith("TypeError: counter 'itemsProcessed' must be an integer")
    wait_for(lambda: worker.jobs_running == 0, what="the slot to be free")


def test_a_context_manager_starts_and_stops(fake, make_worker):
    worker = make_worker()
    worker.job("q")(lambda ctx: None)
    with worker:
        assert worker.wait_connected(10)
        token = fake.service.assign("q")
        fake.service.wait_end(token)
    assert worker.state is WorkerState.STOPPED and not worker.connected
