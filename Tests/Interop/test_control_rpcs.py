"""RetryWorkflow, CancelWorkflow, ListWorkflows, idempotent StartWorkflow and WatchLogs filters
through a stock grpcio client, including the races users hit."""

import concurrent.futures
import time

import grpc
import pytest

from workflow.v1 import workflow_pb2 as pb

K = pb.LogEventKind


def start(stub, request_id="", user="u-1", **params):
    return stub.StartWorkflow(pb.StartWorkflowRequest(
        type="TEST", params={k: str(v) for k, v in params.items()}, user_id=user, request_id=request_id), timeout=10)


def events_of(stub, workflow_id, **fields):
    return list(stub.WatchLogs(pb.WatchLogsRequest(workflow_id=workflow_id, **fields), timeout=60))


def wait_until(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("condition not reached in time")


def code_of(call, *args, **kwargs):
    with pytest.raises(grpc.RpcError) as failure:
        call(*args, **kwargs)
    return failure.value.code(), failure.value.details()


def test_cancel_while_a_job_is_running(stub):
    started = start(stub, jobs=3, steps=1000, step_delay_ms=20)
    get = lambda: stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id))
    wait_until(lambda: len(get().jobs[0].steps) >= 2)
    answer = stub.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=started.workflow_id, reason="operator stop"))
    assert answer.status == pb.WORKFLOW_STATUS_RUNNING

    events = events_of(stub, started.workflow_id)
    assert events[-1].kind == K.Value("LOG_EVENT_KIND_WORKFLOW_CANCELLED")
    assert events[-1].error == "operator stop"
    requested = [e for e in events if e.kind == K.Value("LOG_EVENT_KIND_WORKFLOW_CANCEL_REQUESTED")]
    assert [(e.error, e.level) for e in requested] == [("operator stop", pb.LOG_LEVEL_WARN)]
    assert requested[0].sequence < events[-4].sequence, "told before the jobs were cancelled"
    workflow = get()
    assert workflow.status == pb.WORKFLOW_STATUS_CANCELLED
    assert [j.status for j in workflow.jobs] == [pb.JOB_STATUS_CANCELLED] * 3
    assert 2 <= len(workflow.jobs[0].steps) < 1000

    code, details = code_of(stub.CancelWorkflow, pb.CancelWorkflowRequest(workflow_id=started.workflow_id))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "CANCELLED" in details
    code, _ = code_of(stub.CancelWorkflow, pb.CancelWorkflowRequest(workflow_id="wf-nope"))
    assert code == grpc.StatusCode.NOT_FOUND


def test_retry_from_the_failed_job_keeps_completed_work(stub):
    started = start(stub, jobs=3, steps=4, step_delay_ms=0, fail_job=2)
    first = events_of(stub, started.workflow_id)
    assert first[-1].kind == K.Value("LOG_EVENT_KIND_WORKFLOW_FAILED")
    before = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id))

    retried = stub.RetryWorkflow(pb.RetryWorkflowRequest(workflow_id=started.workflow_id))
    assert retried.status == pb.WORKFLOW_STATUS_RUNNING
    assert retried.attempt == 2
    assert retried.job_name == "Process" and retried.job_id == before.jobs[1].id

    second = events_of(stub, started.workflow_id, after_sequence=first[-1].sequence)
    assert second[0].kind == K.Value("LOG_EVENT_KIND_WORKFLOW_RETRIED")
    assert second[-1].kind == K.Value("LOG_EVENT_KIND_WORKFLOW_FAILED")  # TEST fails job 2 every time
    after = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id))
    assert after.attempt == 2
    assert list(after.jobs[0].steps) == list(before.jobs[0].steps)
    assert [s.attempt for s in after.jobs[1].steps] == [1] * len(before.jobs[1].steps) + [2] * len(before.jobs[1].steps)
    assert [j.attempt for j in after.jobs] == [1, 2, 2]


def test_retry_twice_at_once_runs_once(stub):
    started = start(stub, jobs=2, steps=10, step_delay_ms=100, fail_job=1)  # each run takes ~0.5 s
    events_of(stub, started.workflow_id)
    request = pb.RetryWorkflowRequest(workflow_id=started.workflow_id)
    futures = [stub.RetryWorkflow.future(request) for _ in range(2)]
    outcomes = []
    for future in futures:
        try:
            outcomes.append(future.result(timeout=10).status)
        except grpc.RpcError as error:
            outcomes.append(error.code())
    assert sorted(map(str, outcomes)) == sorted(map(str, [pb.WORKFLOW_STATUS_RUNNING, grpc.StatusCode.FAILED_PRECONDITION]))
    events = events_of(stub, started.workflow_id)
    assert [e.kind for e in events].count(K.Value("LOG_EVENT_KIND_WORKFLOW_RETRIED")) == 1, "one retry ran"
    assert stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id)).attempt == 2


def test_retry_of_a_completed_workflow_is_a_failed_precondition(stub):
    started = start(stub, steps=1, step_delay_ms=0)
    events_of(stub, started.workflow_id)
    code, details = code_of(stub.RetryWorkflow, pb.RetryWorkflowRequest(workflow_id=started.workflow_id))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "COMPLETED" in details


def test_the_same_request_id_concurrently_starts_one_workflow(stub):
    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: start(stub, request_id="req-concurrent", steps=1), range(20)))
    assert len({a.workflow_id for a in answers}) == 1
    code, details = code_of(stub.StartWorkflow, pb.StartWorkflowRequest(
        type="TEST", params={"steps": "2"}, user_id="u-1", request_id="req-concurrent"))
    assert code == grpc.StatusCode.ALREADY_EXISTS and answers[0].workflow_id in details


def test_list_newest_first_with_filters_and_pages(stub):
    user = f"lister-{time.monotonic_ns()}"
    ids = [start(stub, user=user, steps=0).workflow_id for _ in range(5)]
    failing = start(stub, user=user, steps=1, fail_job=1).workflow_id
    for workflow_id in ids + [failing]:
        events_of(stub, workflow_id)

    everything = stub.ListWorkflows(pb.ListWorkflowsRequest(user_id=user))
    assert [w.id for w in everything.workflows] == [failing] + ids[::-1]
    assert all(len(job.steps) == 0 for w in everything.workflows for job in w.jobs), "summaries carry no steps"
    assert everything.workflows[0].jobs[0].step_count == 1

    pages, token = [], ""
    while True:
        page = stub.ListWorkflows(pb.ListWorkflowsRequest(user_id=user, page_size=2, page_token=token))
        pages.append([w.id for w in page.workflows])
        token = page.next_page_token
        if not token:
            break
    assert pages == [[failing, ids[4]], [ids[3], ids[2]], [ids[1], ids[0]]]

    failed = stub.ListWorkflows(pb.ListWorkflowsRequest(user_id=user, statuses=[pb.WORKFLOW_STATUS_FAILED]))
    assert [w.id for w in failed.workflows] == [failing]
    newest = everything.workflows[0].created_at_ms
    window = stub.ListWorkflows(pb.ListWorkflowsRequest(user_id=user, created_after_ms=newest, created_before_ms=newest + 1))
    assert failing in [w.id for w in window.workflows]

    for bad in [pb.ListWorkflowsRequest(page_size=5000), pb.ListWorkflowsRequest(page_token="garbage"),
                pb.ListWorkflowsRequest(statuses=[42]), pb.ListWorkflowsRequest(created_after_ms=20, created_before_ms=10)]:
        code, _ = code_of(stub.ListWorkflows, bad)
        assert code == grpc.StatusCode.INVALID_ARGUMENT


def test_watch_filters_by_job_entity_type_and_user(stub):
    started = start(stub, user="filter-user", jobs=2, steps=3, step_delay_ms=0)
    everything = events_of(stub, started.workflow_id)
    second_job = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id)).jobs[1].id

    of_job = events_of(stub, started.workflow_id, job_id=second_job)
    assert all(e.job_id == second_job for e in of_job[:-1])
    assert of_job[-1].kind == K.Value("LOG_EVENT_KIND_WORKFLOW_COMPLETED")

    tagged = events_of(stub, started.workflow_id, entity_tag="ITEM-2-3")
    assert [K.Name(e.kind) for e in tagged] == ["LOG_EVENT_KIND_STEP_LOGGED", "LOG_EVENT_KIND_WORKFLOW_COMPLETED"]

    by_user = events_of(stub, started.workflow_id, user_id="filter-user", workflow_type="TEST")
    assert [e.sequence for e in by_user] == [e.sequence for e in everything]
    assert events_of(stub, started.workflow_id, user_id="someone-else") == []
    # A running workflow watched with a filter it cannot match ends at once instead of hanging.
    running = start(stub, user="filter-user", jobs=1, steps=100, step_delay_ms=50)
    assert events_of(stub, running.workflow_id, workflow_type="IMPORT_ASSETS") == []
    stub.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=running.workflow_id))


def test_watch_all_with_user_and_type_filters_sees_only_matching_workflows(stub):
    user = f"watcher-{time.monotonic_ns()}"
    call = stub.WatchLogs(pb.WatchLogsRequest(live_only=True, user_id=user, workflow_type="TEST"), timeout=30)
    other = start(stub, user="someone-else", steps=1)
    mine = start(stub, user=user, steps=1)
    seen = []
    for event in call:
        seen.append(event)
        if event.kind == K.Value("LOG_EVENT_KIND_WORKFLOW_COMPLETED"):
            call.cancel()
            break
    assert {e.workflow_id for e in seen} == {mine.workflow_id}
    assert other.workflow_id not in {e.workflow_id for e in seen}


def test_a_list_page_of_large_summaries_ends_early_and_continues(stub):
    user = f"big-{time.monotonic_ns()}"
    blob = "p" * 60_000
    ids = [start(stub, user=user, steps=0, a=blob, b=blob, c=blob).workflow_id for _ in range(25)]
    collected, token, pages = [], "", 0
    while True:
        page = stub.ListWorkflows(pb.ListWorkflowsRequest(user_id=user, page_size=100, page_token=token))
        assert page.ByteSize() < 4 * 1024 * 1024, "every answer fits a stock client's 4 MiB limit"
        collected += [w.id for w in page.workflows]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert pages >= 2
    assert collected == ids[::-1]


def test_console_queries_through_grpc_steps_counts_kinds_and_a_tree_to_follow_on_from(stub):
    failing = start(stub, user="console-user", jobs=2, steps=4, step_delay_ms=0, fail_job=2)
    events_of(stub, failing.workflow_id)
    tree = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=failing.workflow_id, omit_steps=True))
    assert [job.step_count for job in tree.jobs] == [4, 3] and all(len(job.steps) == 0 for job in tree.jobs)
    assert tree.as_of_sequence >= max(e.sequence for e in events_of(stub, failing.workflow_id))

    errors = stub.ListSteps(pb.ListStepsRequest(workflow_id=failing.workflow_id, min_level=pb.LOG_LEVEL_ERROR))
    assert [e.step.level for e in errors.steps] == [pb.LOG_LEVEL_ERROR] and not errors.has_more
    assert errors.steps[0].job_id == tree.jobs[1].id and errors.steps[0].kind == K.Value("LOG_EVENT_KIND_STEP_LOGGED")
    newest = stub.ListSteps(pb.ListStepsRequest(workflow_id=failing.workflow_id, page_size=5))
    older = stub.ListSteps(pb.ListStepsRequest(workflow_id=failing.workflow_id, before_sequence=newest.steps[0].sequence))
    full = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=failing.workflow_id))
    assert newest.has_more and not older.has_more
    assert [e.step.id for e in list(older.steps) + list(newest.steps)] == [s.id for job in full.jobs for s in job.steps]

    counts = stub.CountWorkflows(pb.CountWorkflowsRequest(user_id="console-user"))
    assert [(c.type, pb.WorkflowStatus.Name(c.status), c.count) for c in counts.counts] == [("TEST", "WORKFLOW_STATUS_FAILED", 1)]

    kinds = events_of(stub, failing.workflow_id, kinds=[K.Value("LOG_EVENT_KIND_FAILURE_NOTICE")])
    assert [K.Name(e.kind) for e in kinds] == ["LOG_EVENT_KIND_FAILURE_NOTICE", "LOG_EVENT_KIND_WORKFLOW_FAILED"]
    assert code_of(stub.ListSteps, pb.ListStepsRequest(workflow_id=failing.workflow_id, job_id="nope"))[0] == grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(stub.ListSteps, pb.ListStepsRequest())[0] == grpc.StatusCode.INVALID_ARGUMENT
