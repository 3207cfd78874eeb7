"""Per-job retry policies, start-to-close timeouts and workflow deadlines (issue 13), driven
through the TEST template's knobs against a real workflowd.

Every bound is computed from the knobs a test passes (timeouts, graces, backoffs, step delays)
plus a generous margin for a loaded machine; lower bounds check that the server really waited.
"""

import time

import pytest

from watching import TERMINAL, follow_to_end
from workflow.v1 import workflow_pb2 as pb

# Slack for a loaded machine on top of what the knobs make the server wait.
MARGIN_MS = 2000
# Wall-clock timestamps come from the server's clock, timers from its monotonic clock.
CLOCK_SLACK_MS = 5

K = pb.LogEventKind
RETRY = pb.LOG_EVENT_KIND_JOB_RETRY_SCHEDULED
STARTED = pb.LOG_EVENT_KIND_JOB_STARTED


def run(stub, timeout_s: float = 30, **params: str):
    """Starts a TEST workflow with `params`, follows it to its end, and returns
    (events, the workflow as GetWorkflow shows it, wall seconds from the start call to the end)."""
    began = time.monotonic()
    started = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params=params), timeout=10)
    events = follow_to_end(stub, started.workflow_id, timeout=timeout_s)
    elapsed = time.monotonic() - began
    assert events and events[-1].kind in TERMINAL, [K.Name(e.kind) for e in events]
    workflow = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id), timeout=10)
    return events, workflow, elapsed


def of_kind(events, kind):
    return [event for event in events if event.kind == kind]


def names(events):
    return [K.Name(event.kind).removeprefix("LOG_EVENT_KIND_") for event in events]


def attempt_duration_ms(attempt: pb.JobAttempt) -> int:
    return attempt.finished_at_ms - attempt.started_at_ms


def assert_attempts_numbered(events, job_id):
    """Every event of job `job_id` carries the attempt of the JOB_STARTED before it."""
    current = None
    for event in events:
        if event.job_id != job_id:
            continue
        if event.kind == STARTED:
            current = event.attempt
        assert event.attempt == current, (K.Name(event.kind), event.attempt, current)
        if event.kind == pb.LOG_EVENT_KIND_STEP_LOGGED:
            assert event.step.attempt == current, event


def test_a_job_failing_its_first_two_attempts_completes_on_the_third(stub):
    steps, backoff_ms = 4, 150
    events, workflow, _ = run(
        stub, jobs="2", steps=str(steps), step_delay_ms="5", fail_job="1", fail_attempts="2",
        fail_message="disk on fire", max_attempts="3", backoff_ms=str(backoff_ms),
    )
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow.error
    assert events[-1].kind == pb.LOG_EVENT_KIND_WORKFLOW_COMPLETED
    fetch, process = workflow.jobs
    assert not {pb.LOG_EVENT_KIND_JOB_FAILED, pb.LOG_EVENT_KIND_FAILURE_NOTICE} & {e.kind for e in events}, names(events)

    # The job: attempt 3, two failed attempts in order, nothing pending.
    assert (fetch.status, fetch.attempt, fetch.next_attempt_at_ms) == (pb.JOB_STATUS_COMPLETED, 3, 0)
    assert [a.attempt for a in fetch.failed_attempts] == [1, 2]
    for failed in fetch.failed_attempts:
        assert failed.outcome == pb.JOB_ATTEMPT_OUTCOME_FAILED
        assert (failed.error, failed.error_code) == ("disk on fire", "SIMULATED")
        assert failed.stack
        assert 0 < failed.started_at_ms <= failed.finished_at_ms
    assert fetch.failed_attempts[0].finished_at_ms <= fetch.failed_attempts[1].started_at_ms
    # Steps of all three attempts are kept: a failing attempt logs half its items and an ERROR
    # step, the third all of them.
    failing_steps = steps // 2 + 1
    assert [s.attempt for s in fetch.steps] == [1] * failing_steps + [2] * failing_steps + [3] * steps
    assert [s.level for s in fetch.steps if s.attempt == 1][-1] == pb.LOG_LEVEL_ERROR
    assert [s.message for s in fetch.steps if s.attempt == 3] == [f"Processed item {n} of {steps}" for n in range(1, steps + 1)]
    assert (process.status, process.attempt, len(process.failed_attempts)) == (pb.JOB_STATUS_COMPLETED, 1, 0)
    assert {s.attempt for s in process.steps} == {1}

    # The watch: JOB_STARTED for attempts 1..3, each retry scheduled between two of them.
    job_events = [e for e in events if e.job_id == fetch.id and e.kind in (STARTED, RETRY, pb.LOG_EVENT_KIND_JOB_COMPLETED)]
    assert [(K.Name(e.kind), e.attempt) for e in job_events] == [
        ("LOG_EVENT_KIND_JOB_STARTED", 1), ("LOG_EVENT_KIND_JOB_RETRY_SCHEDULED", 1),
        ("LOG_EVENT_KIND_JOB_STARTED", 2), ("LOG_EVENT_KIND_JOB_RETRY_SCHEDULED", 2),
        ("LOG_EVENT_KIND_JOB_STARTED", 3), ("LOG_EVENT_KIND_JOB_COMPLETED", 3),
    ]
    retries = of_kind(events, RETRY)
    assert len(retries) == 2
    for number, (retry, next_start) in enumerate(zip(retries, job_events[2::2]), start=1):
        assert retry.level == pb.LOG_LEVEL_WARN
        assert (retry.error, retry.job_name) == ("disk on fire", "Fetch")
        assert retry.stack
        # jitter 0, multiplier 2: 150 ms, then 300 ms, counted from the failure.
        expected_wait = backoff_ms * 2 ** (number - 1)
        assert retry.retry_at_ms > retry.timestamp_ms
        assert abs(retry.retry_at_ms - retry.timestamp_ms - expected_wait) <= 1, (retry.retry_at_ms, retry.timestamp_ms)
        # The next attempt does not start before its time.
        assert next_start.timestamp_ms >= retry.retry_at_ms - CLOCK_SLACK_MS, (next_start.timestamp_ms, retry.retry_at_ms)
    assert [e.attempt for e in of_kind(events, STARTED) if e.job_id == process.id] == [1]
    assert_attempts_numbered(events, fetch.id)


def test_a_non_retryable_failure_fails_at_once_whatever_the_attempts_left(stub):
    events, workflow, _ = run(
        stub, jobs="3", steps="4", step_delay_ms="5", fail_job="2", fail_message="bad input",
        fail_retryable="false", max_attempts="5", backoff_ms="50",
    )
    assert workflow.status == pb.WORKFLOW_STATUS_FAILED
    assert (workflow.error, workflow.failed_job_name) == ("bad input", "Process")
    fetch, process, validate = workflow.jobs
    assert (fetch.status, fetch.attempt) == (pb.JOB_STATUS_COMPLETED, 1)
    assert (process.status, process.attempt, process.next_attempt_at_ms) == (pb.JOB_STATUS_FAILED, 1, 0)
    assert [(a.attempt, a.outcome, a.error, a.error_code) for a in process.failed_attempts] == [
        (1, pb.JOB_ATTEMPT_OUTCOME_FAILED, "bad input", "SIMULATED"),
    ]
    assert validate.status == pb.JOB_STATUS_CANCELLED
    assert not of_kind(events, RETRY), names(events)
    assert [e.attempt for e in of_kind(events, STARTED) if e.job_id == process.id] == [1]
    assert names(events)[-4:] == ["JOB_FAILED", "JOB_CANCELLED", "FAILURE_NOTICE", "WORKFLOW_FAILED"]


def test_only_the_last_attempt_fails_the_workflow(stub):
    events, workflow, _ = run(
        stub, jobs="2", steps="2", step_delay_ms="5", fail_job="1", max_attempts="3", backoff_ms="50",
    )
    assert workflow.status == pb.WORKFLOW_STATUS_FAILED
    assert (workflow.error, workflow.failed_job_name) == ("Simulated failure", "Fetch")
    fetch = workflow.jobs[0]
    assert (fetch.status, fetch.attempt) == (pb.JOB_STATUS_FAILED, 3)
    assert [(a.attempt, a.outcome, a.error_code) for a in fetch.failed_attempts] == [
        (n, pb.JOB_ATTEMPT_OUTCOME_FAILED, "SIMULATED") for n in (1, 2, 3)
    ]
    assert workflow.jobs[1].status == pb.JOB_STATUS_CANCELLED
    assert [e.attempt for e in of_kind(events, RETRY)] == [1, 2]
    # Nothing fails before the last attempt ends.
    failed_at = names(events).index("JOB_FAILED")
    assert failed_at > max(i for i, e in enumerate(events) if e.kind == STARTED and e.attempt == 3)
    assert names(events)[failed_at:] == ["JOB_FAILED", "JOB_CANCELLED", "FAILURE_NOTICE", "WORKFLOW_FAILED"]


# --- Start-to-close timeouts -------------------------------------------------------------------

TIMEOUT_MS, GRACE_MS, BACKOFF_MS = 300, 200, 100


def test_a_hanging_attempt_times_out_is_abandoned_after_its_grace_and_the_retry_completes(stub):
    steps, hang_ms = 3, 1500
    events, workflow, elapsed = run(
        stub, jobs="2", steps=str(steps), step_delay_ms="0", hang_job="1", hang_attempts="1", hang_ms=str(hang_ms),
        timeout_ms=str(TIMEOUT_MS), timeout_grace_ms=str(GRACE_MS), max_attempts="2", backoff_ms=str(BACKOFF_MS),
    )
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow.error
    # The hang (1.5 s) is cut off after timeout + grace; the second attempt and job 2 are quick.
    bound_ms = TIMEOUT_MS + GRACE_MS + BACKOFF_MS + MARGIN_MS
    assert elapsed * 1000 < bound_ms, f"completed after {elapsed:.2f} s, bound {bound_ms} ms"
    assert workflow.finished_at_ms - workflow.started_at_ms < bound_ms
    assert elapsed * 1000 >= TIMEOUT_MS + GRACE_MS + BACKOFF_MS - CLOCK_SLACK_MS

    fetch = workflow.jobs[0]
    assert (fetch.status, fetch.attempt) == (pb.JOB_STATUS_COMPLETED, 2)
    (timed_out,) = fetch.failed_attempts
    assert (timed_out.attempt, timed_out.outcome, timed_out.error_code) == (1, pb.JOB_ATTEMPT_OUTCOME_TIMED_OUT, "TIMEOUT")
    assert timed_out.error and timed_out.stack
    # Abandoned when the grace ran out: not earlier, and not when the hang ended.
    assert TIMEOUT_MS + GRACE_MS - CLOCK_SLACK_MS <= attempt_duration_ms(timed_out) < hang_ms, attempt_duration_ms(timed_out)
    (retry,) = of_kind(events, RETRY)
    assert (retry.attempt, retry.job_id) == (1, fetch.id)
    assert [e.attempt for e in of_kind(events, STARTED) if e.job_id == fetch.id] == [1, 2]
    assert [s.message for s in fetch.steps if s.attempt == 1] == [f"Hanging for {hang_ms} ms"]
    assert [s.attempt for s in fetch.steps if s.level != pb.LOG_LEVEL_WARN] == [2] * steps

    # Once the abandoned attempt's hang is over, nothing it does reaches the workflow.
    time.sleep(max(0.0, (fetch.failed_attempts[0].started_at_ms + hang_ms) / 1000 - time.time()) + 0.5)
    again = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow.id), timeout=10)
    assert again == workflow
    replay = list(stub.WatchLogs(pb.WatchLogsRequest(workflow_id=workflow.id), timeout=10))
    assert replay == events


def test_an_attempt_that_returns_within_its_grace_ends_when_it_returns(stub):
    hang_ms, grace_ms = 600, 5000
    events, workflow, elapsed = run(
        stub, jobs="1", steps="3", step_delay_ms="5", hang_job="1", hang_ms=str(hang_ms),
        timeout_ms=str(TIMEOUT_MS), timeout_grace_ms=str(grace_ms),
    )
    assert workflow.status == pb.WORKFLOW_STATUS_FAILED
    (timed_out,) = workflow.jobs[0].failed_attempts
    assert (timed_out.outcome, timed_out.error_code) == (pb.JOB_ATTEMPT_OUTCOME_TIMED_OUT, "TIMEOUT")
    # The cancelled attempt returned when its hang ended, long before the grace ran out.
    assert hang_ms - CLOCK_SLACK_MS <= attempt_duration_ms(timed_out) < hang_ms + MARGIN_MS
    assert elapsed * 1000 < TIMEOUT_MS + grace_ms
    # It stopped at its first cancellation check: no item processed after the hang.
    assert [s.message for s in workflow.jobs[0].steps] == [f"Hanging for {hang_ms} ms"]


def test_an_attempt_hanging_every_time_fails_the_workflow_with_timeout(stub):
    attempts = 2
    events, workflow, elapsed = run(
        stub, jobs="2", steps="2", step_delay_ms="5", hang_job="1", hang_ms="60000",
        timeout_ms=str(TIMEOUT_MS), timeout_grace_ms=str(GRACE_MS), max_attempts=str(attempts), backoff_ms=str(BACKOFF_MS),
    )
    assert workflow.status == pb.WORKFLOW_STATUS_FAILED
    bound_ms = attempts * (TIMEOUT_MS + GRACE_MS) + BACKOFF_MS + MARGIN_MS
    assert elapsed * 1000 < bound_ms, f"failed after {elapsed:.2f} s, bound {bound_ms} ms"
    fetch = workflow.jobs[0]
    assert (fetch.status, fetch.attempt, workflow.failed_job_name) == (pb.JOB_STATUS_FAILED, attempts, "Fetch")
    assert [(a.attempt, a.outcome, a.error_code) for a in fetch.failed_attempts] == [
        (n, pb.JOB_ATTEMPT_OUTCOME_TIMED_OUT, "TIMEOUT") for n in range(1, attempts + 1)
    ]
    assert workflow.error == fetch.failed_attempts[-1].error
    assert workflow.jobs[1].status == pb.JOB_STATUS_CANCELLED
    assert [e.attempt for e in of_kind(events, RETRY)] == list(range(1, attempts))
    assert names(events)[-4:] == ["JOB_FAILED", "JOB_CANCELLED", "FAILURE_NOTICE", "WORKFLOW_FAILED"]


def test_no_retry_codes_timeout_fails_after_one_attempt(stub):
    events, workflow, elapsed = run(
        stub, jobs="2", steps="2", step_delay_ms="5", hang_job="1", hang_ms="60000",
        timeout_ms=str(TIMEOUT_MS), timeout_grace_ms=str(GRACE_MS), max_attempts="3", backoff_ms=str(BACKOFF_MS),
        no_retry_codes="SIMULATED, TIMEOUT",
    )
    assert workflow.status == pb.WORKFLOW_STATUS_FAILED
    bound_ms = TIMEOUT_MS + GRACE_MS + MARGIN_MS
    assert elapsed * 1000 < bound_ms, f"failed after {elapsed:.2f} s, bound {bound_ms} ms"
    fetch = workflow.jobs[0]
    assert fetch.attempt == 1
    assert [(a.outcome, a.error_code) for a in fetch.failed_attempts] == [(pb.JOB_ATTEMPT_OUTCOME_TIMED_OUT, "TIMEOUT")]
    assert not of_kind(events, RETRY), names(events)


# --- Workflow deadlines ------------------------------------------------------------------------

def test_the_deadline_fails_the_workflow_at_the_job_it_is_at_without_waiting_for_it(stub):
    deadline_ms = 800
    began = time.monotonic()
    started = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params=dict(
        jobs="3", steps="2", step_delay_ms="5", hang_job="2", hang_ms="60000", max_attempts="3",
        workflow_timeout_ms=str(deadline_ms),
    )), timeout=10)
    running = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id), timeout=10)
    assert running.deadline_at_ms == running.started_at_ms + deadline_ms
    events = follow_to_end(stub, started.workflow_id)
    elapsed = time.monotonic() - began
    workflow = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id), timeout=10)

    assert workflow.status == pb.WORKFLOW_STATUS_FAILED
    assert workflow.deadline_at_ms == running.deadline_at_ms
    # Job 2 hangs ignoring cancellation (grace 5 s): the deadline does not wait for it.
    assert deadline_ms - CLOCK_SLACK_MS <= workflow.finished_at_ms - workflow.started_at_ms < deadline_ms + MARGIN_MS
    assert elapsed * 1000 < deadline_ms + MARGIN_MS
    fetch, process, validate = workflow.jobs
    assert workflow.failed_job_name == "Process" and workflow.failed_job_id == process.id
    assert "deadline" in workflow.error, workflow.error
    assert fetch.status == pb.JOB_STATUS_COMPLETED
    assert (process.status, process.attempt) == (pb.JOB_STATUS_FAILED, 1)
    assert process.failed_attempts[-1].error_code == "DEADLINE_EXCEEDED"
    assert validate.status == pb.JOB_STATUS_CANCELLED
    # A deadline is final: no retry, whatever max_attempts says.
    assert not of_kind(events, RETRY), names(events)
    assert names(events)[-4:] == ["JOB_FAILED", "JOB_CANCELLED", "FAILURE_NOTICE", "WORKFLOW_FAILED"]
    assert events[-1].error == workflow.error


@pytest.mark.parametrize("params", [
    {"step_delay_ms": "abc"}, {"max_attempts": "0"}, {"timeout_ms": "0"}, {"fail_retryable": "maybe"},
    {"jitter": "1.5"}, {"workflow_timeout_ms": "-5"},
])
def test_bad_retry_knobs_are_refused(stub, params):
    import grpc
    with pytest.raises(grpc.RpcError) as error:
        stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params=params), timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"params.{next(iter(params))}" in error.value.details()
