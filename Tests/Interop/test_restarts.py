"""Work that survives a crash or a deploy (issue 13): workflowd killed with SIGKILL or stopped
with SIGTERM, restarted on the same data directory, runs its RUNNING workflows on.

- A job whose attempt a stop cut off gets that attempt recorded INTERRUPTED (JOB_INTERRUPTED)
  and runs again as its next attempt; interruptions count as attempts; completed jobs stay
  completed; a job waiting for a retry keeps waiting.
- Watchers that resume with `after_sequence` after each restart see every event once, with no
  gap, and every event they received before a stop is still stored, unchanged.
- SIGTERM: health NOT_SERVING and no new starts at once; running jobs get the grace period, then
  are interrupted; the process exits 0; the next workflowd resumes them.

Every workflow's event history is checked against the order the engine promises (see
`check_history`), and GetWorkflow's attempts against it.
"""

import random
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from conftest import Server
from watching import TERMINAL, Watcher, brief, follow_to_end, replay_everything
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc

K = pb.LogEventKind
WORKFLOW_STARTED = pb.LOG_EVENT_KIND_WORKFLOW_STARTED
JOB_STARTED = pb.LOG_EVENT_KIND_JOB_STARTED
JOB_COMPLETED = pb.LOG_EVENT_KIND_JOB_COMPLETED
STEP = pb.LOG_EVENT_KIND_STEP_LOGGED
PROGRESS = pb.LOG_EVENT_KIND_PROGRESS_UPDATED
RETRY = pb.LOG_EVENT_KIND_JOB_RETRY_SCHEDULED
INTERRUPTED = pb.LOG_EVENT_KIND_JOB_INTERRUPTED
# Wall-clock timestamps come from the server's clock, timers from its monotonic clock.
CLOCK_SLACK_MS = 5


def now_ms() -> float:
    return time.time() * 1000


def names(events):
    return [K.Name(event.kind).removeprefix("LOG_EVENT_KIND_") for event in events]


def wait_until(condition, timeout: float, what: str, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(interval)


class Connection:
    """A channel and stubs to one workflowd process (each restart listens on a new port)."""

    def __init__(self, server: Server):
        self.channel = grpc.insecure_channel(server.address)
        grpc.channel_ready_future(self.channel).result(timeout=10)
        self.stub = workflow_pb2_grpc.WorkflowServiceStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)

    def close(self):
        self.channel.close()


def start_workflows(stub, count: int, params_for) -> list[str]:
    """Starts `count` TEST workflows, the n-th with `params_for(n)`; returns their ids."""
    started = []
    for n in range(count):
        answer = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params=params_for(n), request_id=f"survive-{n}"), timeout=10)
        assert answer.status == pb.WORKFLOW_STATUS_RUNNING
        started.append(answer.workflow_id)
    return started


def first_attempt_started_ms(events) -> int:
    """When job 1's first attempt started (its steps cannot end before it plus their delays)."""
    return next(e.timestamp_ms for e in events if e.kind == JOB_STARTED and e.job_position == 0 and e.attempt == 1)


def replay(stub, workflow_id: str):
    """A workflow's whole history, read anew from sequence 0."""
    return list(stub.WatchLogs(pb.WatchLogsRequest(workflow_id=workflow_id, after_sequence=0), timeout=30))


def check_history(events, jobs):
    """Checks one workflow's events against the order the engine promises and returns, for each
    job id, how each of its attempts ended: [(attempt, "INTERRUPTED" | "FAILED" | "COMPLETED")].

    WORKFLOW_STARTED first; sequences strictly increasing; no GAP; the jobs in order, each
    started once per attempt with attempts numbered 1, 2, ... and never started again once
    completed; steps and progress only inside a running attempt and carrying its number; an
    attempt ends by JOB_COMPLETED, JOB_RETRY_SCHEDULED (the next starts no earlier than
    retry_at_ms) or JOB_INTERRUPTED (the next starts when a server runs again); a workflow that
    completes does so after its last job completed, and nothing follows its terminal event.
    """
    job_ids = [job.id for job in jobs]
    sequences = [event.sequence for event in events]
    assert sequences == sorted(set(sequences)), f"sequences not strictly increasing: {sequences}"
    assert events and events[0].kind == WORKFLOW_STARTED, names(events[:3])
    assert all(event.kind != pb.LOG_EVENT_KIND_GAP for event in events), "a GAP in a workflow's history"
    history: dict[str, list] = {job_id: [] for job_id in job_ids}
    position, attempt, state, retry_at = 0, 0, "pending", 0
    for index, event in enumerate(events[1:], start=1):
        where = f"event {index} ({brief(event)}) after {[brief(e) for e in events[max(0, index - 4):index]]}"
        if event.kind in TERMINAL:
            assert index == len(events) - 1, f"events after the terminal one: {where}"
            if event.kind == pb.LOG_EVENT_KIND_WORKFLOW_COMPLETED:
                assert position == len(job_ids), where
            break
        assert position < len(job_ids) and event.job_id == job_ids[position], f"not an event of job {position + 1}: {where}"
        if event.kind == JOB_STARTED:
            assert state in ("pending", "waiting", "interrupted"), where
            if state == "waiting":
                assert event.timestamp_ms >= retry_at - CLOCK_SLACK_MS, f"started before retry_at_ms {retry_at}: {where}"
            attempt += 1
            assert event.attempt == attempt, where
            state = "running"
            continue
        assert state == "running" and event.attempt == attempt, f"no attempt {event.attempt} is running: {where}"
        if event.kind == STEP:
            assert event.step.attempt == attempt, where
        elif event.kind == INTERRUPTED:
            history[event.job_id].append((attempt, "INTERRUPTED"))
            state = "interrupted"
        elif event.kind == RETRY:
            history[event.job_id].append((attempt, "FAILED"))
            state, retry_at = "waiting", event.retry_at_ms
            assert retry_at > event.timestamp_ms, where
        elif event.kind == JOB_COMPLETED:
            history[event.job_id].append((attempt, "COMPLETED"))
            position, attempt, state = position + 1, 0, "pending"
        else:
            assert event.kind == PROGRESS, f"unexpected event: {where}"
    return history


def check_attempts_match_history(workflow, history, steps: int):
    """GetWorkflow's attempts, failed attempts and steps agree with the events: one attempt per
    JOB_STARTED, one extra attempt per interruption or retry, each recorded as a failed attempt."""
    outcomes = {"INTERRUPTED": pb.JOB_ATTEMPT_OUTCOME_INTERRUPTED, "FAILED": pb.JOB_ATTEMPT_OUTCOME_FAILED}
    for job in workflow.jobs:
        ended = history[job.id]
        interruptions = [a for a, how in ended if how == "INTERRUPTED"]
        failures = [a for a, how in ended if how == "FAILED"]
        assert job.status == pb.JOB_STATUS_COMPLETED and ended[-1] == (job.attempt, "COMPLETED"), (job.name, ended)
        assert job.attempt == 1 + len(interruptions) + len(failures), (job.name, job.attempt, ended)
        assert [(a.attempt, a.outcome) for a in job.failed_attempts] == [(a, outcomes[how]) for a, how in ended[:-1]], (job.name, ended)
        for failed in job.failed_attempts:
            if failed.outcome == pb.JOB_ATTEMPT_OUTCOME_INTERRUPTED:
                assert failed.error_code == "INTERRUPTED" and failed.error, failed
            assert failed.started_at_ms <= failed.finished_at_ms
        assert job.next_attempt_at_ms == 0
        assert sum(1 for s in job.steps if s.attempt == job.attempt and s.level == pb.LOG_LEVEL_INFO) == steps, job.name
        assert {s.attempt for s in job.steps} <= set(range(1, job.attempt + 1))


def check_resumed_watch(watcher: Watcher, replayed):
    """The watcher's calls together received exactly the stored history: every event it got
    before a stop is stored unchanged under the same sequence, and resuming after the last one
    seen skipped nothing and repeated nothing."""
    received = watcher.events
    calls = [(len(segment), brief(segment[0]) if segment else None, brief(segment[-1]) if segment else None)
             for segment in watcher.segments]
    what = f"watch of {watcher.workflow_id or 'everything'}: calls (events, first, last) {calls}, errors {watcher.codes}"
    assert all(event.kind != pb.LOG_EVENT_KIND_GAP for event in received), what
    sequences = [event.sequence for event in received]
    assert sequences == sorted(set(sequences)), f"a duplicate or a step back across restarts: {sequences}; {what}"
    missing = [brief(e) for e in replayed if e.sequence not in set(sequences)]
    assert [brief(e) for e in received] == [brief(e) for e in replayed], \
        f"the resumed watch differs from the stored history; stored but not received: {missing}; {what}"
    assert received == replayed, "an event changed across a restart"


# --- SIGKILL -----------------------------------------------------------------------------------

KILL_STEPS, KILL_JOBS, KILL_WORKFLOWS, KILLS = 20, 3, 40, 3


def _kill_step_delay_ms(n: int) -> int:
    """Jobs of 0.6 to 1.4 s, so that the kills find the workflows in different phases."""
    return 30 + 10 * (n % 5)


def _kill_params(n: int) -> dict[str, str]:
    params = {"jobs": str(KILL_JOBS), "steps": str(KILL_STEPS), "step_delay_ms": str(_kill_step_delay_ms(n)), "max_attempts": "5"}
    if n % 4 == 3:
        # A quarter of the jobs fail their first attempt half-way and wait 0.7 s for the next:
        # a kill may find them waiting. (Three interruptions and a failure leave one attempt.)
        params.update(fail_job=str(1 + n % 3), fail_attempts="1", backoff_ms="700")
    return params


@pytest.mark.parametrize("seed", [13, 1313])
def test_sigkill_mid_job_several_times_every_workflow_completes(tmp_path, seed):
    rng = random.Random(seed)
    data_dir = str(tmp_path / "data")
    began = time.monotonic()
    server = Server(data_dir=data_dir)
    connection = Connection(server)
    started = start_workflows(connection.stub, KILL_WORKFLOWS, _kill_params)
    job_ms = {workflow_id: KILL_STEPS * _kill_step_delay_ms(n) for n, workflow_id in enumerate(started)}
    # The first attempt of job 1 cannot end sooner (each step sleeps first; a failing attempt
    # stops half-way).
    first_attempt_ms = {
        workflow_id: (KILL_STEPS // 2 if _kill_params(n).get("fail_job") == "1" else KILL_STEPS) * _kill_step_delay_ms(n)
        for n, workflow_id in enumerate(started)
    }
    watchers = {workflow_id: Watcher(workflow_id) for workflow_id in started}
    everything = Watcher()
    for watcher in [everything, *watchers.values()]:
        watcher.follow(connection.stub)
    # Every workflow is mid-job before the first kill.
    wait_until(lambda: all(any(e.kind == STEP for e in w.events) for w in watchers.values()), 15, "a step of every workflow")

    windows = []  # (when the killed process was gone, when the next one listened), in ms
    try:
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.3, 1.5))
            server.kill()
            dead_at = now_ms()
            for watcher in [everything, *watchers.values()]:
                watcher.join()
            connection.close()
            server = Server(data_dir=data_dir)
            windows.append((dead_at, now_ms()))
            connection = Connection(server)
            for watcher in [everything, *watchers.values()]:
                if not watcher.ended:
                    watcher.follow(connection.stub)
        finished = 2 * KILL_JOBS * max(job_ms.values()) / 1000 + 10
        wait_until(lambda: all(w.ended for w in watchers.values()), finished, "every workflow to end")
        wait_until(lambda: everything.last_sequence >= max(w.last_sequence for w in watchers.values()), 10, "the global watch")
        everything.cancel()

        stub = connection.stub
        interruptions_per_window = [0] * KILLS
        for workflow_id, watcher in watchers.items():
            workflow = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id), timeout=10)
            assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, (workflow.error, names(watcher.events)[-6:])
            stored = replay(stub, workflow_id)
            check_resumed_watch(watcher, stored)
            history = check_history(stored, workflow.jobs)
            check_attempts_match_history(workflow, history, KILL_STEPS)

            # Interruptions happen only while a server restores, once per restart, exactly to
            # the attempt that was running when the process died.
            for k, (dead_at, ready_at) in enumerate(windows):
                before = [e for e in stored if e.timestamp_ms <= dead_at]
                during = [e for e in stored if dead_at < e.timestamp_ms <= ready_at]
                interrupted = [e for e in during if e.kind == INTERRUPTED]
                interruptions_per_window[k] += len(interrupted)
                last = before[-1]
                if last.kind in (JOB_STARTED, STEP, PROGRESS):
                    assert [(e.job_id, e.attempt) for e in interrupted] == [(last.job_id, last.attempt)], (k, brief(last), names(during))
                    following = [e for e in stored if e.sequence > interrupted[0].sequence][0]
                    assert (following.kind, following.job_id, following.attempt) == (JOB_STARTED, last.job_id, last.attempt + 1)
                else:
                    assert not interrupted, (k, brief(last), names(during))
            assert not [e for e in stored if e.kind == INTERRUPTED and not any(a < e.timestamp_ms <= b for a, b in windows)]

            # A first kill that came before job 1's first attempt could end interrupted it.
            if windows[0][0] < first_attempt_started_ms(stored) + first_attempt_ms[workflow_id]:
                assert history[workflow.jobs[0].id][0] == (1, "INTERRUPTED"), history

        assert interruptions_per_window[0] > 0, "the first kill interrupted nothing"
        check_resumed_watch(everything, replay_everything(stub, everything.last_sequence))
    finally:
        connection.close()
        server.stop()
    assert server.process.returncode == 0
    assert time.monotonic() - began < 180, "the kill test took far longer than planned"


def _follow_to_end_and_stop(server, connection, workflow_id: str):
    """The workflow's events through its end and its final tree; then stops `server`."""
    try:
        events = follow_to_end(connection.stub, workflow_id)
        workflow = connection.stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id), timeout=10)
    finally:
        connection.close()
        server.stop()
    return events, workflow


def _kill_and_restart(server, connection, data_dir: str):
    """SIGKILLs `server` and starts the next one on `data_dir`; returns it and a connection."""
    server.kill()
    connection.close()
    server = Server(data_dir=data_dir)
    return server, Connection(server)


def first_event(stub, workflow_id: str, matches):
    """The first event of the workflow (replayed or live) that `matches`."""
    call = stub.WatchLogs(pb.WatchLogsRequest(workflow_id=workflow_id), timeout=30)
    event = next(event for event in call if matches(event))
    call.cancel()
    return event


def _kill_mid_first_job(server, stub, params) -> str:
    started = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params=params), timeout=10)
    first_event(stub, started.workflow_id, lambda event: event.kind == STEP)
    server.kill()
    return started.workflow_id


@pytest.mark.parametrize("max_attempts", [1, 2])
def test_interruptions_count_as_attempts(tmp_path, max_attempts):
    """Killed once per attempt allowed: the last interruption leaves no attempt, so the workflow
    fails at the job with INTERRUPTED instead of running it again."""
    data_dir = str(tmp_path / "data")
    params = {"jobs": "2", "steps": "100", "step_delay_ms": "50", "max_attempts": str(max_attempts)}
    server = Server(data_dir=data_dir)
    connection = Connection(server)
    workflow_id = _kill_mid_first_job(server, connection.stub, params)
    connection.close()
    for restart in range(max_attempts):
        server = Server(data_dir=data_dir)
        connection = Connection(server)
        if restart + 1 < max_attempts:
            # Wait for a step of the resumed attempt, then kill again.
            first_event(connection.stub, workflow_id, lambda event: event.kind == STEP and event.attempt == restart + 2)
            server.kill()
            connection.close()
    events, workflow = _follow_to_end_and_stop(server, connection, workflow_id)
    assert workflow.status == pb.WORKFLOW_STATUS_FAILED
    fetch = workflow.jobs[0]
    assert (workflow.failed_job_name, fetch.status, fetch.attempt) == ("Fetch", pb.JOB_STATUS_FAILED, max_attempts)
    assert [(a.attempt, a.outcome, a.error_code) for a in fetch.failed_attempts] == [
        (n, pb.JOB_ATTEMPT_OUTCOME_INTERRUPTED, "INTERRUPTED") for n in range(1, max_attempts + 1)
    ]
    assert [e.attempt for e in events if e.kind == INTERRUPTED] == list(range(1, max_attempts + 1))
    assert [e.attempt for e in events if e.kind == JOB_STARTED] == list(range(1, max_attempts + 1))
    assert "no attempt is left" in [e for e in events if e.kind == INTERRUPTED][-1].message
    assert names(events)[-4:] == ["JOB_FAILED", "JOB_CANCELLED", "FAILURE_NOTICE", "WORKFLOW_FAILED"]


def test_a_job_waiting_for_its_retry_keeps_waiting_across_a_kill(tmp_path):
    data_dir = str(tmp_path / "data")
    backoff_ms = 2500
    params = {"jobs": "2", "steps": "2", "step_delay_ms": "5", "fail_job": "1", "fail_attempts": "1",
              "max_attempts": "2", "backoff_ms": str(backoff_ms)}
    server = Server(data_dir=data_dir)
    connection = Connection(server)
    started = connection.stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params=params), timeout=10)
    retry = first_event(connection.stub, started.workflow_id, lambda event: event.kind == RETRY)
    server, connection = _kill_and_restart(server, connection, data_dir)
    try:
        waiting = connection.stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id), timeout=10)
        assert now_ms() < retry.retry_at_ms, "the restart took longer than the backoff: nothing checked"
        fetch = waiting.jobs[0]
        assert (waiting.status, fetch.status, fetch.attempt, fetch.next_attempt_at_ms) == (
            pb.WORKFLOW_STATUS_RUNNING, pb.JOB_STATUS_RUNNING, 1, retry.retry_at_ms)
        events = follow_to_end(connection.stub, started.workflow_id)
        workflow = connection.stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id), timeout=10)
    finally:
        connection.close()
        server.stop()
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED
    assert not [e for e in events if e.kind == INTERRUPTED], names(events)
    history = check_history(events, workflow.jobs)
    assert history[workflow.jobs[0].id] == [(1, "FAILED"), (2, "COMPLETED")]
    second = next(e for e in events if e.kind == JOB_STARTED and e.attempt == 2)
    assert second.timestamp_ms >= retry.retry_at_ms - CLOCK_SLACK_MS


def test_a_cancel_answered_before_a_kill_ends_the_workflow_cancelled_after_the_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    # The job ignores the cancel for a minute, so the workflow is still RUNNING at the kill.
    params = {"jobs": "2", "hang_job": "1", "hang_ms": "60000", "timeout_grace_ms": "60000", "max_attempts": "3"}
    server = Server(data_dir=data_dir)
    connection = Connection(server)
    started = connection.stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params=params), timeout=10)
    first_event(connection.stub, started.workflow_id, lambda event: event.kind == STEP)
    answer = connection.stub.CancelWorkflow(
        pb.CancelWorkflowRequest(workflow_id=started.workflow_id, reason="stop it"), timeout=10)
    assert answer.status == pb.WORKFLOW_STATUS_RUNNING, "the hanging job has not stopped"
    server, connection = _kill_and_restart(server, connection, data_dir)
    try:
        workflow = connection.stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id), timeout=10)
        events = replay(connection.stub, started.workflow_id)
    finally:
        connection.close()
        server.stop()
    assert workflow.status == pb.WORKFLOW_STATUS_CANCELLED, (workflow.status, names(events)[-4:])
    assert [job.attempt for job in workflow.jobs] == [1, 1], "the job did not run again"
    kinds = [e.kind for e in events]
    requested = kinds.index(pb.LOG_EVENT_KIND_WORKFLOW_CANCEL_REQUESTED)
    assert events[requested].error == "stop it"
    assert kinds[-1] == pb.LOG_EVENT_KIND_WORKFLOW_CANCELLED and events[-1].error == "stop it"
    assert JOB_STARTED not in kinds[requested:] and INTERRUPTED not in kinds, names(events)


def test_a_deadline_that_passed_while_the_server_was_down_fails_the_workflow_at_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    deadline_ms = 1200
    params = {"jobs": "2", "steps": "100", "step_delay_ms": "50", "max_attempts": "3", "workflow_timeout_ms": str(deadline_ms)}
    server = Server(data_dir=data_dir)
    connection = Connection(server)
    workflow_id = _kill_mid_first_job(server, connection.stub, params)
    connection.close()
    time.sleep(deadline_ms / 1000 + 0.3)
    restarted_at = now_ms()
    server = Server(data_dir=data_dir)
    connection = Connection(server)
    events, workflow = _follow_to_end_and_stop(server, connection, workflow_id)
    assert workflow.deadline_at_ms < restarted_at
    assert workflow.status == pb.WORKFLOW_STATUS_FAILED
    assert workflow.failed_job_name == "Fetch" and "deadline" in workflow.error, workflow.error
    assert workflow.finished_at_ms >= restarted_at
    fetch = workflow.jobs[0]
    # The attempt the kill cut off is recorded; no attempt starts after the deadline.
    assert [(a.attempt, a.outcome) for a in fetch.failed_attempts][:1] == [(1, pb.JOB_ATTEMPT_OUTCOME_INTERRUPTED)]
    assert [e.attempt for e in events if e.kind == INTERRUPTED] == [1]
    assert [e.attempt for e in events if e.kind == JOB_STARTED] == [1]
    assert names(events)[-4:] == ["JOB_FAILED", "JOB_CANCELLED", "FAILURE_NOTICE", "WORKFLOW_FAILED"]


# --- SIGTERM (a deploy) ------------------------------------------------------------------------

def _sigterm(server, connection, watchers, health_watch, max_exit_s: float):
    """Sends SIGTERM and checks what clients see while the server drains: health NOT_SERVING,
    StartWorkflow refused with UNAVAILABLE, every watch ended UNAVAILABLE, exit status 0 within
    `max_exit_s`.

    Returns (when the signal was sent, when the process was gone, in ms; seconds to exit). The
    engine refuses starts before health turns NOT_SERVING, so the first start sent after it is
    refused (it once slipped in between, about one deploy in four).
    """
    term_at = now_ms()
    term_monotonic = time.monotonic()
    server.process.terminate()
    assert next(health_watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert server.process.poll() is None, "exited before its jobs' grace period: nothing checked while draining"
    with pytest.raises(grpc.RpcError) as refused:
        connection.stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"jobs": "1", "steps": "1"}), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE, refused.value
    server.process.wait(timeout=max_exit_s + 10)
    exited_after = time.monotonic() - term_monotonic
    gone_at = now_ms()
    assert server.process.returncode == 0, "".join(server.log[-20:])
    assert exited_after < max_exit_s, f"exited {exited_after:.2f} s after SIGTERM, bound {max_exit_s} s"
    for watcher in watchers.values():
        watcher.join()
        assert watcher.codes[-1:] == [grpc.StatusCode.UNAVAILABLE], (watcher.codes, names(watcher.events)[-3:])
    connection.close()
    return term_at, gone_at, exited_after


def _deploy_start(tmp_path, grace_s: float, count: int, params_for):
    data_dir = str(tmp_path / "data")
    server = Server("--shutdown-grace-period", str(grace_s), data_dir=data_dir)
    connection = Connection(server)
    started = start_workflows(connection.stub, count, params_for)
    watchers = {workflow_id: Watcher(workflow_id) for workflow_id in started}
    for watcher in watchers.values():
        watcher.follow(connection.stub)
    health_watch = connection.health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=60)
    assert next(health_watch).status == health_pb2.HealthCheckResponse.SERVING
    wait_until(lambda: all(any(e.kind == STEP for e in w.events) for w in watchers.values()), 15, "a step of every workflow")
    return data_dir, server, connection, started, watchers, health_watch


def _restart_and_finish(data_dir, watchers, timeout_s: float):
    """Starts the next server on the same data directory, resumes the watchers after the last
    event each received, and waits for every workflow to end. Returns the server, a connection
    and, for each watcher, how many events it had received before the restart."""
    server = Server(data_dir=data_dir)
    connection = Connection(server)
    resumed_from = {workflow_id: len(watcher.events) for workflow_id, watcher in watchers.items()}
    for watcher in watchers.values():
        watcher.follow(connection.stub)
    wait_until(lambda: all(w.ended for w in watchers.values()), timeout_s, "every workflow to end")
    return server, connection, resumed_from


DEPLOY_STEPS, DEPLOY_STEP_DELAY_MS, DEPLOY_JOBS = 40, 100, 3


def test_sigterm_interrupts_jobs_still_running_after_the_grace_and_the_next_server_resumes_them(tmp_path):
    grace_s, job_ms = 1, DEPLOY_STEPS * DEPLOY_STEP_DELAY_MS
    # One attempt per job (the TEST default): a deploy must not use it up.
    params = {"jobs": str(DEPLOY_JOBS), "steps": str(DEPLOY_STEPS), "step_delay_ms": str(DEPLOY_STEP_DELAY_MS)}
    data_dir, server, connection, started, watchers, health_watch = _deploy_start(tmp_path, grace_s, 10, lambda n: params)
    term_at, gone_at, exited_after = _sigterm(server, connection, watchers, health_watch, max_exit_s=grace_s + 5)
    assert exited_after >= grace_s - 0.1, "the running jobs did not get their grace period"

    for workflow_id, watcher in watchers.items():
        events = watcher.events
        assert term_at + grace_s * 1000 < first_attempt_started_ms(events) + job_ms, "a job could have finished in the grace"
        # Jobs ran on during the grace period, then were interrupted; nothing new started.
        assert any(e.kind == STEP and e.timestamp_ms > term_at for e in events), "no step logged during the grace"
        assert not [e for e in events if e.kind == JOB_STARTED and e.timestamp_ms > term_at], names(events)
        interruption = events[-1]
        assert (interruption.kind, interruption.attempt, interruption.job_name) == (INTERRUPTED, 1, "Fetch"), names(events)[-3:]
        assert interruption.level == pb.LOG_LEVEL_WARN and "shut down" in interruption.error
        assert "starts when the server runs again" in interruption.message
        assert not [e for e in events if e.kind in TERMINAL]

    server, connection, resumed_from = _restart_and_finish(data_dir, watchers, DEPLOY_JOBS * job_ms / 1000 + 15)
    try:
        for workflow_id, watcher in watchers.items():
            first_new = watcher.events[resumed_from[workflow_id]]
            assert (first_new.kind, first_new.job_name, first_new.attempt) == (JOB_STARTED, "Fetch", 2), brief(first_new)
            assert first_new.timestamp_ms >= gone_at
            workflow = connection.stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id), timeout=10)
            assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow.error
            stored = replay(connection.stub, workflow_id)
            check_resumed_watch(watcher, stored)
            history = check_history(stored, workflow.jobs)
            assert [history[job.id] for job in workflow.jobs] == [[(1, "INTERRUPTED"), (2, "COMPLETED")], [(1, "COMPLETED")], [(1, "COMPLETED")]]
            check_attempts_match_history(workflow, history, DEPLOY_STEPS)
            assert "shut down" in workflow.jobs[0].failed_attempts[0].error
    finally:
        connection.close()
        server.stop()
    assert server.process.returncode == 0


def test_sigterm_with_a_long_enough_grace_lets_jobs_finish_and_the_next_job_waits_for_the_restart(tmp_path):
    grace_s, steps, step_delay_ms = 5, 20, 100
    job_ms = steps * step_delay_ms

    def params_for(n):
        params = {"jobs": "2", "steps": str(steps), "step_delay_ms": str(step_delay_ms), "max_attempts": "2", "backoff_ms": "50"}
        if n % 3 == 2:
            # Fails half-way through its first attempt, during the grace: its retry waits too.
            params.update(fail_job="1", fail_attempts="1")
        return params

    data_dir, server, connection, started, watchers, health_watch = _deploy_start(tmp_path, grace_s, 9, params_for)
    term_at, gone_at, exited_after = _sigterm(server, connection, watchers, health_watch, max_exit_s=grace_s + 5)
    # The server waits for its jobs, not for the whole grace period.
    assert exited_after < job_ms / 1000 + 2.5, f"exited {exited_after:.2f} s after SIGTERM"

    for workflow_id, watcher in watchers.items():
        events = watcher.events
        assert not [e for e in events if e.kind == INTERRUPTED], names(events)
        assert not [e for e in events if e.kind == JOB_STARTED and e.timestamp_ms > term_at], names(events)
        last = events[-1]
        assert last.kind in (JOB_COMPLETED, RETRY) and last.job_name == "Fetch", names(events)[-3:]
        assert last.timestamp_ms > term_at, "the job had ended before the signal: nothing checked"

    server, connection, resumed_from = _restart_and_finish(data_dir, watchers, 2 * job_ms / 1000 + 15)
    try:
        for workflow_id, watcher in watchers.items():
            first_new = watcher.events[resumed_from[workflow_id]]
            last_old = watcher.events[resumed_from[workflow_id] - 1]
            expected = ("Process", 1) if last_old.kind == JOB_COMPLETED else ("Fetch", 2)
            assert (first_new.kind, first_new.job_name, first_new.attempt) == (JOB_STARTED, *expected), brief(first_new)
            assert first_new.timestamp_ms >= gone_at
            workflow = connection.stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id), timeout=10)
            assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow.error
            stored = replay(connection.stub, workflow_id)
            check_resumed_watch(watcher, stored)
            check_attempts_match_history(workflow, check_history(stored, workflow.jobs), steps)
    finally:
        connection.close()
        server.stop()
    assert server.process.returncode == 0
