"""Job outputs and inputs: `set_output` and its limits, what the completion report carries, and
`inputs` (no server); then round trips through the real workflowd: outputs in GetWorkflow, in
JOB_COMPLETED and WORKFLOW_COMPLETED, and in the assignments of the later jobs."""

from __future__ import annotations

import pytest

from conftest import Watcher
from ledger_recorder import LedgerRecorder
from workflow_worker import JobContext, JobFailed, JobInputs, OutputLimitError
from workflow_worker.ledger import Ledger
from workflow_worker.outputs import MAX_NAME_BYTES, MAX_TOTAL_BYTES
from workflow_worker.protos import workflow_pb2 as pb

JOB_COMPLETED = pb.LOG_EVENT_KIND_JOB_COMPLETED
WORKFLOW_COMPLETED = pb.LOG_EVENT_KIND_WORKFLOW_COMPLETED


# ---------------------------------------------------------------------- without a server


INPUTS = [
    pb.JobOutputs(job_id="wf-j0", job_name="Fetch External Assets", job_position=0,
                  outputs={"rows_read": "16", "file_name": "assets.csv", "stage": "fetch"}),
    pb.JobOutputs(job_id="wf-j1", job_name="Validate", job_position=1, outputs={}),
    pb.JobOutputs(job_id="wf-j2", job_name="Process Data", job_position=2,
                  outputs={"rows_ready": "14", "stage": "process"}),
]


def make_context(inputs=()):
    assignment = pb.JobAssignment(
        lease=pb.LeaseToken(workflow_id="wf", job_id="wf-j3", attempt=1, epoch=4), queue="import",
        workflow_type="REMOTE_IMPORT", job_name="Save", job_position=3, inputs=list(inputs))
    ledger = Ledger()
    ledger.open_stream(pb.WorkerHello(name="w", instance_id="i"))
    ledger.receive(pb.ServerMessage(welcome=pb.WorkerWelcome(heartbeat_interval_ms=1000)), 0.0)
    ledger.receive(pb.ServerMessage(assignment=assignment), 0.0)
    context = JobContext(assignment, LedgerRecorder(ledger))
    context.ledger = ledger
    return context


def end_report(ctx) -> pb.JobReport:
    reports = [m.report for m in ctx.ledger.take_outgoing(100.0) if m.WhichOneof("message") == "report"]
    assert reports and reports[-1].WhichOneof("end"), reports
    return reports[-1]


def test_outputs_travel_in_the_completion():
    ctx = make_context()
    ctx.set_output("rows_read", 16)                  # an int is written in decimal
    ctx.set_output("note", "Kühler ✓")
    ctx.set_outputs({"stage": "first", "file.id-1_x": "f-1"})
    ctx.set_output("stage", "second")                # replaces
    assert ctx.outputs == {"rows_read": "16", "note": "Kühler ✓", "stage": "second", "file.id-1_x": "f-1"}
    ctx.outputs["stage"] = "changed"                 # a copy
    assert ctx.outputs["stage"] == "second"
    assert ctx.complete(outputs={"extra": "yes"})
    report = end_report(ctx)
    assert report.WhichOneof("end") == "completed"
    assert dict(report.completed.outputs) == {"rows_read": "16", "note": "Kühler ✓", "stage": "second",
                                              "file.id-1_x": "f-1", "extra": "yes"}


def test_a_job_without_outputs_completes_with_none():
    ctx = make_context()
    ctx.complete()
    assert dict(end_report(ctx).completed.outputs) == {}


@pytest.mark.parametrize("name", ["", "a" * (MAX_NAME_BYTES + 1), "rows read", "a/b", "Kühler", "tab\t", "a:b", None, 7])
def test_an_invalid_name_is_refused_and_nothing_changes(name):
    ctx = make_context()
    ctx.set_output("kept", "1")
    with pytest.raises(OutputLimitError, match=r"1 to 128 ASCII letters, digits, '_', '\.' or '-'"):
        ctx.set_output(name, "x")
    with pytest.raises(ValueError):                  # OutputLimitError is a ValueError
        ctx.set_outputs({"fine": "2", name: "x"})
    assert ctx.outputs == {"kept": "1"}


def test_the_longest_name_is_accepted():
    ctx = make_context()
    ctx.set_output("N" * MAX_NAME_BYTES, "v")
    assert list(ctx.outputs) == ["N" * MAX_NAME_BYTES]


@pytest.mark.parametrize("value", [True, 1.5, None, b"bytes", ["list"]])
def test_a_value_must_be_text_or_an_integer(value):
    ctx = make_context()
    with pytest.raises(TypeError, match="must be a str"):
        ctx.set_output("name", value)
    assert ctx.outputs == {}


def test_names_and_values_together_take_at_most_64_kib_of_utf8():
    ctx = make_context()
    ctx.set_output("big", "x" * (MAX_TOTAL_BYTES - len("big")))     # exactly the limit
    assert sum(len(n) + len(v) for n, v in ctx.outputs.items()) == MAX_TOTAL_BYTES
    with pytest.raises(OutputLimitError, match=r"65537 bytes; they may take at most 65536"):
        ctx.set_output("a", "")                                       # one byte more: the name
    ctx.set_output("big", "x")                                        # replacing frees the old value
    ctx.set_output("a", "")
    assert ctx.outputs == {"big": "x", "a": ""}

    ctx = make_context()
    # UTF-8 bytes count, not characters: "ü" takes 2.
    ctx.set_output("u", "ü" * ((MAX_TOTAL_BYTES - 1) // 2))           # 1 + 65534 bytes
    with pytest.raises(OutputLimitError):
        ctx.set_output("v", "ü")
    with pytest.raises(OutputLimitError):                             # all or nothing
        ctx.set_outputs({"w": "", "u": "ü" * (MAX_TOTAL_BYTES // 2)})
    assert set(ctx.outputs) == {"u"}


def test_outputs_that_break_a_limit_at_complete_leave_the_attempt_running():
    ctx = make_context()
    with pytest.raises(OutputLimitError):
        ctx.complete(outputs={"bad name": "1"})
    assert not ctx.ended
    assert ctx.complete(outputs={"good": "1"})
    assert dict(end_report(ctx).completed.outputs) == {"good": "1"}


def test_a_failed_attempt_sends_no_outputs_and_later_calls_change_nothing():
    ctx = make_context()
    ctx.set_output("rows", "3")
    ctx.fail("boom")
    report = end_report(ctx)
    assert report.WhichOneof("end") == "failed" and not report.HasField("completed")
    ctx.set_output("later", "ignored")               # a no-op once ended ...
    assert "later" not in ctx.outputs
    with pytest.raises(OutputLimitError):            # ... that still checks its arguments
        ctx.set_output("bad name", "x")


def test_inputs_give_the_latest_value_by_name_and_each_job_by_name():
    ctx = make_context(INPUTS)
    inputs = ctx.inputs
    assert isinstance(inputs, JobInputs)
    assert dict(inputs) == {"rows_read": "16", "file_name": "assets.csv", "rows_ready": "14", "stage": "process"}
    assert inputs["stage"] == "process" and inputs.get("missing") is None and len(inputs) == 4
    with pytest.raises(KeyError):
        inputs["missing"]
    assert inputs.of_job("Fetch External Assets") == {"rows_read": "16", "file_name": "assets.csv", "stage": "fetch"}
    assert inputs.of_job("Validate") == {} and inputs.of_job("No Such Job") == {}
    assert inputs.get_from("Fetch External Assets", "stage") == "fetch"
    assert inputs.get_from("Process Data", "rows_read", "none") == "none"
    assert [(job.job_id, job.job_name, job.job_position) for job in inputs.jobs] == [
        ("wf-j0", "Fetch External Assets", 0), ("wf-j1", "Validate", 1), ("wf-j2", "Process Data", 2)]
    assert dict(make_context().inputs) == {} and make_context().inputs.jobs == ()


# ---------------------------------------------------------------------- through workflowd

def test_outputs_reach_get_workflow_the_events_and_the_later_jobs(workflowd, api, make_worker):
    """PY_OUTPUTS: Fetch (local) → Produce → Refine → Consume (remote, one queue)."""
    worker = make_worker(workflowd.address, slots=1)
    seen = {}

    @worker.job("py-outputs")
    def run(ctx: JobContext):
        seen[ctx.job_name] = ctx.inputs
        if ctx.job_name == "Produce":
            ctx.set_output("rows_read", 16)
            ctx.set_outputs({"stage": "produce", "note": "Kühler ✓", "only_produce": "p"})
        elif ctx.job_name == "Refine":
            ctx.set_output("stage", "refine")
            ctx.set_output("refined", "yes")
        else:
            ctx.complete(outputs={"summary": f"{ctx.inputs['rows_read']} rows after {ctx.inputs['stage']}"})

    worker.start()
    workflow_id = api.start("PY_OUTPUTS")
    watcher = Watcher(api, workflow_id)
    workflow = api.wait_ended(workflow_id)
    events = watcher.join()
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow

    produced = {"rows_read": "16", "stage": "produce", "note": "Kühler ✓", "only_produce": "p"}
    refined = {"stage": "refine", "refined": "yes"}
    consumed = {"summary": "16 rows after refine"}
    by_name = {job.name: job for job in workflow.jobs}
    assert dict(by_name["Fetch"].outputs) == {}
    assert dict(by_name["Produce"].outputs) == produced
    assert dict(by_name["Refine"].outputs) == refined
    assert dict(by_name["Consume"].outputs) == consumed
    assert dict(workflow.result) == consumed                         # the last job's outputs

    # What each remote job's assignment carried.
    assert dict(seen["Produce"]) == {}
    assert dict(seen["Refine"]) == produced
    assert dict(seen["Consume"]) == {**produced, **refined}           # the latest value by name
    assert seen["Consume"].of_job("Produce") == produced
    assert seen["Consume"].of_job("Refine") == refined
    positions = {job.name: job.position for job in workflow.jobs}
    assert [(job.job_name, job.job_position, job.job_id) for job in seen["Consume"].jobs if job.outputs] == [
        ("Produce", positions["Produce"], by_name["Produce"].id), ("Refine", positions["Refine"], by_name["Refine"].id)]

    completed = {event.job_name: dict(event.outputs) for event in events if event.kind == JOB_COMPLETED}
    assert completed == {"Fetch": {}, "Produce": produced, "Refine": refined, "Consume": consumed}
    [finished] = [event for event in events if event.kind == WORKFLOW_COMPLETED]
    assert dict(finished.outputs) == consumed


def test_a_remote_job_hands_its_outputs_past_a_local_job(workflowd, api, make_worker):
    """PY_OUTPUTS_LOCAL: Process Data (remote) → Save (local)."""
    worker = make_worker(workflowd.address)

    @worker.job("py-outputs-local")
    def run(ctx: JobContext):
        ctx.set_output("rows_ready", 3)
        return {"itemsProcessed": 3}

    worker.start()
    workflow = api.wait_ended(api.start("PY_OUTPUTS_LOCAL"))
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow
    process, save = workflow.jobs
    assert dict(process.outputs) == {"rows_ready": "3"} and dict(process.stats.counters) == {"itemsProcessed": 3}
    assert save.status == pb.JOB_STATUS_COMPLETED
    assert dict(workflow.result) == dict(save.outputs)


def test_only_the_completed_attempt_hands_outputs_on(workflowd, api, make_worker):
    """PY_OUTPUTS_RETRY: the first attempt of Process Data sets outputs and fails; the second's
    outputs are the job's, and all that Report sees."""
    worker = make_worker(workflowd.address)
    seen = {}

    @worker.job("py-outputs-retry")
    def run(ctx: JobContext):
        if ctx.job_name == "Report":
            seen["inputs"] = dict(ctx.inputs)
            return None
        ctx.set_output("attempt", ctx.attempt)
        if ctx.attempt == 1:
            ctx.set_output("only_first", "x")
            raise RuntimeError("the first attempt fails")
        return None

    worker.start()
    workflow = api.wait_ended(api.start("PY_OUTPUTS_RETRY"))
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow
    process = workflow.jobs[0]
    assert process.attempt == 2 and dict(process.outputs) == {"attempt": "2"}
    assert seen["inputs"] == {"attempt": "2"}


def test_limit_errors_reach_the_job_and_an_unhandled_one_fails_it(workflowd, api, make_worker):
    worker = make_worker(workflowd.address)
    caught = []

    @worker.job("py-outputs-limit")
    def run(ctx: JobContext):
        if ctx.params.get("mode") == "raise":
            ctx.set_output("too_big", "x" * MAX_TOTAL_BYTES)           # not caught: fails the attempt
        for name, value in (("bad name", "1"), ("too_big", "x" * MAX_TOTAL_BYTES)):
            try:
                ctx.set_output(name, value)
            except OutputLimitError as error:
                caught.append(str(error))
        ctx.set_output("fine", "1")

    worker.start()
    workflow = api.wait_ended(api.start("PY_OUTPUTS_LIMIT"))
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow
    assert dict(workflow.jobs[0].outputs) == {"fine": "1"}
    assert len(caught) == 2 and "ASCII letters" in caught[0] and "at most 65536 bytes" in caught[1]

    workflow = api.wait_ended(api.start("PY_OUTPUTS_LIMIT", mode="raise"))
    assert workflow.status == pb.WORKFLOW_STATUS_FAILED, workflow
    assert "OutputLimitError" in workflow.error and "65536" in workflow.error
    assert dict(workflow.jobs[0].outputs) == {}


def test_job_failed_still_works_with_outputs_set(workflowd, api, make_worker):
    """A job that set outputs and then raises JobFailed fails with its code; nothing is handed on."""
    worker = make_worker(workflowd.address)

    @worker.job("py-outputs-limit")
    def run(ctx: JobContext):
        ctx.set_output("partial", "1")
        raise JobFailed("bad schema", code="VALIDATION", retryable=False)

    worker.start()
    workflow = api.wait_ended(api.start("PY_OUTPUTS_LIMIT"))
    assert workflow.status == pb.WORKFLOW_STATUS_FAILED and "bad schema" in workflow.error
    assert dict(workflow.jobs[0].outputs) == {}
