"""The report ledger's rules, without a server or threads: numbering, batching, acks, resends,
refusals, cancellations and stopping."""

import pytest

from workflow_worker.ledger import (CancelJob, End, LeasePhase, Ledger, RefusalCode, Resync, RunJob, StreamPhase,
                                    lease_key, updates_in)
from workflow_worker.protos import workflow_pb2 as pb

HELLO = pb.WorkerHello(name="w", instance_id="w-1", queues=["q"], slots=2)


def token(n=1, attempt=1):
    return pb.LeaseToken(workflow_id=f"wf-{n}", job_id=f"job-{n}", attempt=attempt, epoch=100 + n)


def assignment(n=1, attempt=1):
    return pb.ServerMessage(assignment=pb.JobAssignment(lease=token(n, attempt), queue="q", job_name="Process Data"))


def welcome(interval_ms=1000, resumed=()):
    return pb.ServerMessage(welcome=pb.WorkerWelcome(
        heartbeat_interval_ms=interval_ms,
        resumed_leases=[pb.ReportAck(lease=t, sequence=s) for t, s in resumed]))


def ack(t, sequence):
    return pb.ServerMessage(ack=pb.ReportAck(lease=t, sequence=sequence))


def refusal(t, sequence, code):
    return pb.ServerMessage(refusal=pb.ReportRefusal(lease=t, sequence=sequence, code=code, message="no"))


def cancellation(t, lease_ended, reason="workflow cancelled"):
    return pb.ServerMessage(cancellation=pb.JobCancellation(lease=t, reason=reason, lease_ended=lease_ended))


def step(text):
    return pb.JobUpdate(step=pb.StepReport(message=text))


def reports(messages):
    return [m.report for m in messages if m.WhichOneof("message") == "report"]


def heartbeats(messages):
    return [m.heartbeat for m in messages if m.WhichOneof("message") == "heartbeat"]


def texts(report_list):
    return [u.step.message for u in updates_in(report_list)]


@pytest.fixture
def ready():
    """A ledger whose stream is welcomed (heartbeat every second), with lease 1 running."""
    ledger = Ledger(flush_interval=0.02, max_updates_per_report=3)
    ledger.open_stream(HELLO)
    assert ledger.receive(welcome(), 0.0) == []
    [run] = ledger.receive(assignment(1), 0.0)
    assert isinstance(run, RunJob) and run.key == lease_key(token(1))
    return ledger


K1 = lease_key(token(1))


def test_nothing_but_the_hello_goes_out_before_the_welcome():
    ledger = Ledger()
    hello = ledger.open_stream(HELLO)
    assert hello.WhichOneof("message") == "hello" and hello.hello.instance_id == "w-1"
    assert ledger.stream is StreamPhase.GREETING
    assert ledger.take_outgoing(10.0) == []
    assert ledger.next_wake(10.0) is None
    # Anything but a welcome first is a protocol error: reconnect.
    [action] = ledger.receive(assignment(1), 0.0)
    assert isinstance(action, Resync)


def test_calls_are_batched_until_the_flush_interval(ready):
    ready.log(K1, step("a"), 1.0)
    ready.log(K1, step("b"), 1.01)
    assert reports(ready.take_outgoing(1.015)) == []
    assert ready.next_wake(1.015) == pytest.approx(0.005)
    [report] = reports(ready.take_outgoing(1.02))
    assert report.sequence == 1 and texts([report]) == ["a", "b"]
    assert not report.HasField("completed")


def test_a_full_buffer_and_an_end_go_at_once(ready):
    assert ready.log(K1, step("a"), 1.0) is True       # first: wake the sender
    assert ready.log(K1, step("b"), 1.0) is False
    assert ready.log(K1, step("c"), 1.0) is True       # full (3 per report)
    assert ready.next_wake(1.0) == 0.0
    assert [r.sequence for r in reports(ready.take_outgoing(1.0))] == [1]
    ready.log(K1, step("d"), 1.0)
    assert ready.finish(K1, End.completed(), 1.0)
    assert ready.next_wake(1.0) == 0.0
    [report] = reports(ready.take_outgoing(1.0))
    assert report.sequence == 2 and texts([report]) == ["d"] and report.HasField("completed")


def test_a_big_backlog_is_cut_into_numbered_reports_in_order_and_the_end_rides_the_last(ready):
    ready.close_stream()
    for n in range(8):
        ready.log(K1, step(f"s{n}"), 1.0)   # ignored by no one: buffered while disconnected
    ready.update_counters(K1, {"itemsCreated": 8}, absolute=True, now=1.0)
    ready.finish(K1, End.failed("boom", "trace", "VALIDATION", True), 1.0)
    assert ready.take_outgoing(2.0) == []   # not before a welcome
    ready.open_stream(HELLO)
    ready.receive(welcome(resumed=[(token(1), 0)]), 2.0)
    out = reports(ready.take_outgoing(2.0))
    assert [r.sequence for r in out] == [1, 2, 3]
    assert [len(r.updates) for r in out] == [3, 3, 2]
    assert texts(out) == [f"s{n}" for n in range(8)]
    assert all(r.counters["itemsCreated"] == 8 for r in out)
    assert [r.WhichOneof("end") for r in out] == [None, None, "failed"]
    assert out[2].failed.error == "boom" and out[2].failed.error_code == "VALIDATION" and out[2].failed.do_not_retry


def test_report_size_limit_splits_batches():
    ledger = Ledger(max_updates_per_report=100, max_report_bytes=50)
    ledger.open_stream(HELLO)
    ledger.receive(welcome(), 0.0)
    ledger.receive(assignment(1), 0.0)
    for n in range(4):
        ledger.log(K1, step("x" * 20 + str(n)), 0.0)
    ledger.finish(K1, End.completed(), 0.0)
    out = reports(ledger.take_outgoing(0.0))
    assert [len(r.updates) for r in out] == [2, 2]
    assert out[-1].HasField("completed")


def test_counters_are_absolute_values_in_every_report(ready):
    ready.update_counters(K1, {"itemsCreated": 1}, absolute=False, now=1.0)
    ready.update_counters(K1, {"itemsCreated": 2}, absolute=False, now=1.0)
    ready.update_counters(K1, {"itemsProcessed": 10}, absolute=True, now=1.0)
    [first] = reports(ready.take_outgoing(1.05))
    assert dict(first.counters) == {"itemsCreated": 3, "itemsProcessed": 10} and len(first.updates) == 0
    ready.log(K1, step("a"), 2.0)
    [second] = reports(ready.take_outgoing(2.05))
    assert dict(second.counters) == {"itemsCreated": 3, "itemsProcessed": 10}
    assert ready.counters(K1) == {"itemsCreated": 3, "itemsProcessed": 10}


def test_acks_free_reports_and_the_acked_end_settles_the_lease(ready):
    ready.log(K1, step("a"), 1.0)
    ready.take_outgoing(1.1)
    ready.finish(K1, End.completed(), 1.2)
    ready.take_outgoing(1.2)
    ready.receive(ack(token(1), 1), 1.3)
    assert ready.phase(K1) is LeasePhase.ENDED and not ready.settled
    ready.receive(ack(token(1), 2), 1.4)
    assert ready.phase(K1) is LeasePhase.SETTLED  # its job has not returned yet
    ready.job_returned(K1, 1.5)
    assert ready.phase(K1) is None and ready.idle


def test_after_a_reconnect_unacked_reports_are_resent_unchanged_from_the_servers_sequence(ready):
    for n in range(5):
        ready.log(K1, step(f"s{n}"), 1.0)
    first = reports(ready.take_outgoing(1.1))        # 1: s0-s2, 2: s3-s4
    assert [r.sequence for r in first] == [1, 2]
    ready.receive(ack(token(1), 1), 1.2)
    ready.log(K1, step("s5"), 1.3)
    ready.close_stream()                             # the stream broke before 2 was acked
    ready.log(K1, step("s6"), 1.4)

    hello = ready.open_stream(HELLO)
    assert [lease_key(t) for t in hello.hello.held_leases] == [K1]
    assert ready.receive(welcome(resumed=[(token(1), 1)]), 2.0) == []
    again = reports(ready.take_outgoing(2.0))
    assert again[0] == first[1]                      # same number, same content
    assert [r.sequence for r in again] == [2, 3]
    assert texts(again) == ["s3", "s4", "s5", "s6"]


def test_a_resumed_sequence_ahead_of_our_acks_drops_what_the_server_has(ready):
    for n in range(6):
        ready.log(K1, step(f"s{n}"), 1.0)
    ready.take_outgoing(1.1)                         # reports 1 and 2, neither acked
    ready.close_stream()
    ready.open_stream(HELLO)
    ready.receive(welcome(resumed=[(token(1), 2)]), 2.0)
    assert reports(ready.take_outgoing(2.0)) == []   # the server applied both


def test_a_lease_not_resumed_is_abandoned_and_its_job_cancelled(ready):
    ready.log(K1, step("a"), 1.0)
    ready.close_stream()
    ready.open_stream(HELLO)
    [cancel] = ready.receive(welcome(resumed=[]), 2.0)
    assert cancel == CancelJob(K1, cancel.reason, lease_ended=True)
    assert ready.phase(K1) is LeasePhase.ABANDONED
    assert ready.log(K1, step("later"), 2.1) is False
    assert not ready.finish(K1, End.completed(), 2.2)
    assert reports(ready.take_outgoing(5.0)) == []
    ready.job_returned(K1, 3.0)
    assert ready.idle


def test_an_ended_lease_whose_end_the_server_applied_before_the_break_is_forgotten(ready):
    ready.finish(K1, End.completed(), 1.0)
    ready.take_outgoing(1.0)
    ready.job_returned(K1, 1.0)
    ready.close_stream()                             # the ack never came
    hello = ready.open_stream(HELLO)
    assert len(hello.hello.held_leases) == 1         # still owed until we know
    assert ready.receive(welcome(resumed=[]), 2.0) == []   # not live: applied (or expired)
    assert ready.idle


def test_refused_failed_precondition_drops_reports_and_cancels(ready):
    ready.log(K1, step("a"), 1.0)
    [report] = reports(ready.take_outgoing(1.1))
    ready.log(K1, step("b"), 1.2)
    [cancel] = ready.receive(refusal(token(1), report.sequence, RefusalCode.FAILED_PRECONDITION), 1.3)
    assert isinstance(cancel, CancelJob) and cancel.lease_ended
    assert reports(ready.take_outgoing(5.0)) == []
    assert K1 not in [lease_key(t) for t in ready.open_leases()]


@pytest.mark.parametrize("code", [RefusalCode.NOT_FOUND, RefusalCode.INVALID_ARGUMENT])
def test_refusals_that_a_resend_cannot_fix_abandon_the_lease(ready, code):
    ready.log(K1, step("a"), 1.0)
    ready.take_outgoing(1.1)
    [cancel] = ready.receive(refusal(token(1), 1, code), 1.2)
    assert isinstance(cancel, CancelJob) and ready.phase(K1) is LeasePhase.ABANDONED


def test_a_gap_asks_for_a_new_stream(ready):
    ready.log(K1, step("a"), 1.0)
    ready.take_outgoing(1.1)
    [action] = ready.receive(refusal(token(1), 1, RefusalCode.OUT_OF_RANGE), 1.2)
    assert isinstance(action, Resync)
    assert ready.phase(K1) is LeasePhase.ACTIVE


def test_a_stale_refusal_of_an_acked_report_changes_nothing(ready):
    ready.log(K1, step("a"), 1.0)
    ready.take_outgoing(1.1)
    ready.receive(ack(token(1), 1), 1.2)
    assert ready.receive(refusal(token(1), 1, RefusalCode.FAILED_PRECONDITION), 1.3) == []
    assert ready.phase(K1) is LeasePhase.ACTIVE


def test_cancellation_without_lease_end_keeps_reporting(ready):
    [cancel] = ready.receive(cancellation(token(1), lease_ended=False), 1.0)
    assert cancel == CancelJob(K1, "workflow cancelled", lease_ended=False)
    ready.log(K1, step("cleaning up"), 1.1)
    ready.finish(K1, End.failed("cancelled", code="CANCELLED"), 1.2)
    [report] = reports(ready.take_outgoing(1.2))
    assert texts([report]) == ["cleaning up"] and report.failed.error_code == "CANCELLED"


def test_cancellation_with_lease_end_abandons(ready):
    ready.log(K1, step("a"), 1.0)
    [cancel] = ready.receive(cancellation(token(1), lease_ended=True, reason="timed out"), 1.0)
    assert cancel == CancelJob(K1, "timed out", lease_ended=True)
    assert reports(ready.take_outgoing(5.0)) == []
    assert ready.receive(cancellation(token(1), lease_ended=True), 1.0) == []   # once


def test_the_end_is_recorded_once(ready):
    assert ready.finish(K1, End.completed(), 1.0)
    assert not ready.finish(K1, End.failed("again"), 1.0)
    assert ready.log(K1, step("after the end"), 1.0) is False
    [report] = reports(ready.take_outgoing(1.0))
    assert report.HasField("completed") and len(report.updates) == 0


def test_a_job_that_returns_without_an_end_fails(ready):
    ready.job_returned(K1, 1.0)
    [report] = reports(ready.take_outgoing(1.0))
    assert report.HasField("failed")


def test_heartbeats_list_open_leases_at_the_welcomes_interval(ready):
    assert heartbeats(ready.take_outgoing(0.5)) == []
    assert ready.next_wake(0.5) == pytest.approx(0.5)
    [beat] = heartbeats(ready.take_outgoing(1.0))
    assert [lease_key(t) for t in beat.leases] == [K1]
    assert heartbeats(ready.take_outgoing(1.5)) == []
    ready.finish(K1, End.completed(), 1.6)
    ready.take_outgoing(1.6)                         # the end is on its way
    [beat] = heartbeats(ready.take_outgoing(2.0))
    assert len(beat.leases) == 0                     # no heartbeat names it any more
    assert [lease_key(t) for t in ready.open_leases()] == [K1]   # but a hello would, until acked
    ready.receive(ack(token(1), 1), 3.1)
    assert ready.open_leases() == []


def test_a_missing_heartbeat_interval_falls_back_to_the_default():
    ledger = Ledger(default_heartbeat_interval=7.0)
    ledger.open_stream(HELLO)
    ledger.receive(welcome(interval_ms=0), 0.0)
    assert ledger.heartbeat_interval == 7.0


def test_stopping_hands_new_assignments_back_and_releases_running_jobs(ready):
    ready.begin_stop()
    assert ready.receive(assignment(2), 1.0) == []   # not run
    [released_unrun] = reports(ready.take_outgoing(1.0))
    assert released_unrun.lease == token(2) and released_unrun.released.reason == "worker stopping"
    assert released_unrun.sequence == 1

    ready.log(K1, step("half way"), 1.0)
    [cancel] = ready.release_active(1.0)
    assert cancel == CancelJob(K1, "worker stopping", lease_ended=True)
    [released] = reports(ready.take_outgoing(1.0))
    assert texts([released]) == ["half way"] and released.HasField("released")
    assert ready.log(K1, step("ignored"), 1.1) is False
    assert not ready.settled
    ready.receive(ack(token(1), 1), 1.2)
    ready.receive(ack(token(2), 1), 1.2)
    assert ready.settled and not ready.idle          # job 1's thread still runs
    assert ready.jobs_running == 1
    ready.job_returned(K1, 2.0)
    assert ready.idle


def test_a_duplicate_assignment_is_ignored(ready):
    assert ready.receive(assignment(1), 1.0) == []


def test_messages_of_an_abandoned_stream_are_ignored(ready):
    ready.close_stream()
    assert ready.receive(assignment(2), 1.0) == []
    assert ready.jobs_running == 1


def test_setting_no_counter_sends_no_report(ready):
    key = lease_key(token(1))
    assert ready.update_counters(key, {}, absolute=True, now=0.1) is False
    assert reports(ready.take_outgoing(0.5)) == []


def test_heartbeats_come_four_times_per_shortest_lease_timeout_when_that_is_sooner(ready):
    short = pb.ServerMessage(assignment=pb.JobAssignment(lease=token(2), queue="q", job_name="Quick", heartbeat_timeout_ms=1000))
    ready.receive(short, 0.0)
    assert ready.heartbeat_period == 0.25
    sent = [heartbeats(ready.take_outgoing(t / 100)) for t in range(0, 101, 5)]
    assert sum(len(batch) for batch in sent) >= 4


def test_after_a_reconnect_the_first_heartbeat_comes_within_the_shortest_lease_timeout():
    ledger = Ledger()
    ledger.open_stream(HELLO)
    ledger.receive(welcome(), 0.0)
    short = pb.ServerMessage(assignment=pb.JobAssignment(lease=token(1), queue="q", job_name="Quick", heartbeat_timeout_ms=1000))
    ledger.receive(short, 0.0)
    ledger.close_stream()
    ledger.open_stream(HELLO)
    ledger.receive(welcome(resumed=[(token(1), 0)]), 5.0)
    assert heartbeats(ledger.take_outgoing(5.25)) != []     # not a whole second after the welcome


def test_a_worker_that_began_stopping_while_disconnected_says_so_in_its_first_heartbeat():
    ledger = Ledger()
    ledger.open_stream(HELLO)
    ledger.receive(welcome(), 0.0)
    ledger.close_stream()
    ledger.begin_stop()
    ledger.open_stream(HELLO)
    ledger.receive(welcome(), 3.0)
    [beat] = heartbeats(ledger.take_outgoing(3.0))
    assert beat.draining
