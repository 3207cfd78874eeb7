"""JobContext's ActionLogger calls, levels, limits and ends, over a ledger (no server)."""

import pytest

from ledger_recorder import LedgerRecorder
from workflow_worker import JobCancelled, JobContext, Level
from workflow_worker.backoff import Backoff
from workflow_worker.context import MAX_MESSAGE_CHARS
from workflow_worker.ledger import LeasePhase, Ledger, lease_key
from workflow_worker.protos import workflow_pb2 as pb


ASSIGNMENT = pb.JobAssignment(
    lease=pb.LeaseToken(workflow_id="wf", job_id="job", attempt=2, epoch=9), queue="import",
    workflow_type="REMOTE_IMPORT", job_name="Process Data", job_position=1,
    params={"file_path": "/data/a.csv"}, idempotency_key="idem", heartbeat_timeout_ms=5000,
    deadline_at_ms=0, user_id="u1")


@pytest.fixture
def ctx():
    ledger = Ledger()
    ledger.open_stream(pb.WorkerHello(name="w", instance_id="i"))
    ledger.receive(pb.ServerMessage(welcome=pb.WorkerWelcome(heartbeat_interval_ms=1000)), 0.0)
    ledger.receive(pb.ServerMessage(assignment=ASSIGNMENT), 0.0)
    context = JobContext(ASSIGNMENT, LedgerRecorder(ledger))
    context.ledger = ledger
    return context


def sent(ctx):
    return [m.report for m in ctx.ledger.take_outgoing(100.0) if m.WhichOneof("message") == "report"]


def test_inputs(ctx):
    assert (ctx.workflow_id, ctx.job_id, ctx.attempt, ctx.lease.epoch) == ("wf", "job", 2, 9)
    assert ctx.job_name == "Process Data" and ctx.job_position == 1 and ctx.queue == "import"
    assert ctx.params["file_path"] == "/data/a.csv" and ctx.idempotency_key == "idem"
    assert ctx.heartbeat_timeout == 5.0 and ctx.deadline_at_ms is None and ctx.user_id == "u1"
    assert ctx.workflow_type == "REMOTE_IMPORT"


def test_steps_progress_and_counters_in_call_order(ctx):
    ctx.start()                                   # no message: nothing
    ctx.start("Started Process Data")
    ctx.log_step("Created P-101", level="WARN", entity_tag="P-101", entity_route="/assets/1",
                 entity_id="1", entity_type="asset")
    ctx.update_progress(0.5, "Processing 50/100 items")
    ctx.log_step("plain", level=Level.DEBUG)
    ctx.increment("itemsCreated")
    ctx.increment("itemsCreated", 2)
    ctx.set_stat("itemsProcessed", 100)
    assert ctx.stats == {"itemsCreated": 3, "itemsProcessed": 100}
    assert ctx.complete(stats={"itemsFailed": 0})
    [report] = sent(ctx)
    kinds = [u.WhichOneof("update") for u in report.updates]
    assert kinds == ["step", "step", "progress", "step"]
    started, created, progress, plain = report.updates
    assert started.step.message == "Started Process Data" and started.step.level == pb.LOG_LEVEL_INFO
    assert created.step.level == pb.LOG_LEVEL_WARN
    assert created.step.entity == pb.EntityRef(tag="P-101", route="/assets/1", id="1", type="asset")
    assert created.step.timestamp_ms > 0
    assert progress.progress.progress == 0.5 and progress.progress.message == "Processing 50/100 items"
    assert not plain.step.HasField("entity") and plain.step.level == pb.LOG_LEVEL_DEBUG
    assert dict(report.counters) == {"itemsCreated": 3, "itemsProcessed": 100, "itemsFailed": 0}
    assert report.HasField("completed")


@pytest.mark.parametrize("given,expected", [("DEBUG", Level.DEBUG), ("info", Level.INFO), ("WARNING", Level.WARN),
                                            ("LOG_LEVEL_ERROR", Level.ERROR), (3, Level.WARN),
                                            (pb.LOG_LEVEL_ERROR, Level.ERROR), (Level.INFO, Level.INFO)])
def test_levels(given, expected):
    assert Level.parse(given) is expected


@pytest.mark.parametrize("bad", ["LOUD", 0, 7, None, True])
def test_unknown_levels_are_refused(bad):
    with pytest.raises(ValueError):
        Level.parse(bad)


def test_bad_arguments_raise_in_the_job(ctx):
    with pytest.raises(ValueError):
        ctx.log_step("")
    with pytest.raises(ValueError):
        ctx.update_progress(float("nan"))
    with pytest.raises(ValueError):
        ctx.update_progress("half")
    with pytest.raises(TypeError):
        ctx.increment("n", 1.5)
    with pytest.raises(ValueError):
        ctx.set_stat("n", 1 << 63)
    with pytest.raises(ValueError):
        ctx.set_stat("", 1)


def test_progress_is_clamped_and_long_messages_cut(ctx):
    ctx.update_progress(1.2)
    ctx.update_progress(-1)
    ctx.log_step("x" * (MAX_MESSAGE_CHARS + 10))
    ctx.complete()
    [report] = sent(ctx)
    assert [u.progress.progress for u in report.updates[:2]] == [1.0, 0.0]
    assert len(report.updates[2].step.message) == MAX_MESSAGE_CHARS


def test_fail_with_an_exception_carries_its_type_message_and_traceback(ctx):
    try:
        raise KeyError("row 7")
    except KeyError as error:
        assert ctx.fail(error, code="VALIDATION", retryable=False)
    [report] = sent(ctx)
    assert report.failed.error == "KeyError: 'row 7'"
    assert "Traceback" in report.failed.stack and 'raise KeyError("row 7")' in report.failed.stack
    assert report.failed.error_code == "VALIDATION" and report.failed.do_not_retry


def test_the_attempt_ends_once_and_later_calls_are_no_ops(ctx):
    assert ctx.complete()
    assert not ctx.fail("too late")
    assert not ctx.complete()
    assert ctx.ended
    ctx.log_step("after")
    ctx.increment("n")
    [report] = sent(ctx)
    assert report.HasField("completed") and not report.updates and not report.counters


def test_returning_while_cancelled_fails_with_code_cancelled(ctx):
    ctx._cancel("workflow cancelled", lease_ended=False)
    assert ctx.cancelled and ctx.cancel_event.is_set() and ctx.cancel_reason == "workflow cancelled"
    with pytest.raises(JobCancelled):
        ctx.raise_if_cancelled()
    ctx._returned(None)
    [report] = sent(ctx)
    assert report.failed.error_code == "CANCELLED" and "workflow cancelled" in report.failed.error


def test_returning_a_mapping_sets_counters_and_completes(ctx):
    ctx._returned({"itemsProcessed": 4})
    [report] = sent(ctx)
    assert report.HasField("completed") and dict(report.counters) == {"itemsProcessed": 4}


def test_a_lease_taken_back_makes_everything_a_no_op(ctx):
    ctx._cancel("lease ended", lease_ended=True)
    ctx.ledger.receive(pb.ServerMessage(cancellation=pb.JobCancellation(lease=ASSIGNMENT.lease, lease_ended=True)), 0.0)
    assert ctx.ended
    ctx.log_step("ignored")
    assert not ctx.complete()
    assert sent(ctx) == []
    assert ctx.ledger.phase(lease_key(ASSIGNMENT.lease)) is LeasePhase.ABANDONED


def test_backoff_doubles_up_to_the_maximum_with_jitter_and_resets():
    top = Backoff(initial=0.1, maximum=1.0, random=lambda: 1.0)
    assert [round(top.next(), 3) for _ in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    top.reset()
    assert top.next() == 0.1
    bottom = Backoff(initial=0.1, maximum=1.0, random=lambda: 0.0)
    assert [round(bottom.next(), 3) for _ in range(3)] == [0.05, 0.1, 0.2]
