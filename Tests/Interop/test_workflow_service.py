"""WorkflowService through a stock grpcio client: the three RPCs, their errors, and streaming."""

import concurrent.futures
import threading
import time

import grpc
import pytest

from conftest import WORKFLOW_SERVICE, method_path
from workflow.v1 import workflow_pb2 as pb

K = pb.LogEventKind


def start(stub, **params):
    request = pb.StartWorkflowRequest(
        type="TEST",
        params={k: str(v) for k, v in params.items()},
        user_id="u-42",
        user_name="ada@example.com",
        summary="Interop test",
    )
    return stub.StartWorkflow(request, timeout=10)


def watch_all_events(stub, workflow_id, after=0, min_level=pb.LOG_LEVEL_UNSPECIFIED):
    request = pb.WatchLogsRequest(workflow_id=workflow_id, after_sequence=after, min_level=min_level)
    return list(stub.WatchLogs(request, timeout=60))


def test_start_returns_running_at_once_then_completes_with_full_tree(stub):
    response = start(stub, jobs=3, steps=4, step_delay_ms=20)
    assert response.status == pb.WORKFLOW_STATUS_RUNNING
    assert response.workflow_id

    early = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=response.workflow_id))
    assert early.status == pb.WORKFLOW_STATUS_RUNNING

    events = watch_all_events(stub, response.workflow_id)
    assert events[-1].kind == K.Value("LOG_EVENT_KIND_WORKFLOW_COMPLETED")

    workflow = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=response.workflow_id))
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED
    assert workflow.type == "TEST"
    assert workflow.user_id == "u-42" and workflow.user_name == "ada@example.com"
    assert workflow.summary == "Interop test"
    assert workflow.params["steps"] == "4"
    assert [job.name for job in workflow.jobs] == ["Fetch", "Process", "Validate"]
    assert [job.position for job in workflow.jobs] == [0, 1, 2]
    for job in workflow.jobs:
        assert job.status == pb.JOB_STATUS_COMPLETED
        assert len(job.steps) == 4
        assert job.progress == pytest.approx(1.0)
        assert job.stats.counters["itemsProcessed"] == 4
        assert job.started_at_ms <= job.finished_at_ms
        step = job.steps[0]
        assert step.level == pb.LOG_LEVEL_INFO
        assert step.entity.tag and step.entity.route
        assert step.sequence > 0
    assert workflow.stats.counters["itemsProcessed"] == 12
    assert workflow.stats.duration_ms >= 3 * 4 * 20 * 0.9
    assert workflow.created_at_ms <= workflow.started_at_ms <= workflow.finished_at_ms


def test_events_arrive_live_in_order_and_the_stream_ends_ok(stub):
    response = start(stub, jobs=2, steps=5, step_delay_ms=60)
    call = stub.WatchLogs(pb.WatchLogsRequest(workflow_id=response.workflow_id), timeout=60)
    arrivals = []
    for event in call:
        arrivals.append((time.monotonic(), event))
    assert call.code() == grpc.StatusCode.OK

    sequences = [event.sequence for _, event in arrivals]
    assert sequences == sorted(set(sequences)), "sequences must strictly increase"
    kinds = [event.kind for _, event in arrivals]
    assert kinds[0] == K.Value("LOG_EVENT_KIND_WORKFLOW_STARTED")
    assert kinds[-1] == K.Value("LOG_EVENT_KIND_WORKFLOW_COMPLETED")
    # Live: the first step arrived long before the workflow finished (10 steps x 60 ms).
    first_step = next(t for t, e in arrivals if e.kind == K.Value("LOG_EVENT_KIND_STEP_LOGGED"))
    assert arrivals[-1][0] - first_step > 0.3
    # Jobs strictly one after another.
    job_events = [(e.kind, e.job_position) for _, e in arrivals if e.job_id and e.kind in (
        K.Value("LOG_EVENT_KIND_JOB_STARTED"), K.Value("LOG_EVENT_KIND_JOB_COMPLETED"))]
    assert job_events == [
        (K.Value("LOG_EVENT_KIND_JOB_STARTED"), 0), (K.Value("LOG_EVENT_KIND_JOB_COMPLETED"), 0),
        (K.Value("LOG_EVENT_KIND_JOB_STARTED"), 1), (K.Value("LOG_EVENT_KIND_JOB_COMPLETED"), 1),
    ]


def test_a_failing_job_fails_the_workflow_and_cancels_the_rest(stub):
    response = start(stub, jobs=4, steps=2, step_delay_ms=0, fail_job=2, fail_message="Invalid schema for P-101")
    events = watch_all_events(stub, response.workflow_id)
    kinds = [K.Name(e.kind) for e in events]
    failed_at = kinds.index("LOG_EVENT_KIND_JOB_FAILED")
    assert kinds[failed_at:] == [
        "LOG_EVENT_KIND_JOB_FAILED",
        "LOG_EVENT_KIND_JOB_CANCELLED",
        "LOG_EVENT_KIND_JOB_CANCELLED",
        "LOG_EVENT_KIND_FAILURE_NOTICE",
        "LOG_EVENT_KIND_WORKFLOW_FAILED",
    ]
    notice = events[kinds.index("LOG_EVENT_KIND_FAILURE_NOTICE")]
    assert notice.message == "TEST failed at Process: Invalid schema for P-101"
    assert notice.level == pb.LOG_LEVEL_ERROR

    workflow = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=response.workflow_id))
    assert workflow.status == pb.WORKFLOW_STATUS_FAILED
    assert workflow.error == "Invalid schema for P-101"
    assert workflow.failed_job_name == "Process"
    assert workflow.failed_job_id == workflow.jobs[1].id
    assert [j.status for j in workflow.jobs] == [
        pb.JOB_STATUS_COMPLETED, pb.JOB_STATUS_FAILED, pb.JOB_STATUS_CANCELLED, pb.JOB_STATUS_CANCELLED]
    assert workflow.jobs[1].error == "Invalid schema for P-101"
    assert workflow.jobs[1].stack


def test_min_level_filters_events_but_terminal_events_always_arrive(stub):
    response = start(stub, jobs=2, steps=3, step_delay_ms=0, fail_job=2)
    events = watch_all_events(stub, response.workflow_id, min_level=pb.LOG_LEVEL_ERROR)
    assert events, "expected the error events"
    assert all(e.level == pb.LOG_LEVEL_ERROR for e in events)
    assert events[-1].kind == K.Value("LOG_EVENT_KIND_WORKFLOW_FAILED")


def test_ten_thousand_events_arrive_complete_and_in_order(stub):
    # Each step logs a step event and a progress event: 2 jobs x 2,500 steps x 2 = 10,000 events.
    response = start(stub, jobs=2, steps=2500, step_delay_ms=0)
    events = watch_all_events(stub, response.workflow_id)
    assert len(events) >= 10_000
    sequences = [e.sequence for e in events]
    assert all(a < b for a, b in zip(sequences, sequences[1:]))
    steps = [e for e in events if e.kind == K.Value("LOG_EVENT_KIND_STEP_LOGGED")]
    assert len(steps) == 5000
    workflow = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=response.workflow_id))
    tree_sequences = [s.sequence for job in workflow.jobs for s in job.steps]
    assert tree_sequences == [e.step.sequence for e in steps]


def test_resume_after_sequence_neither_loses_nor_repeats(stub):
    response = start(stub, jobs=3, steps=50, step_delay_ms=2)
    full = watch_all_events(stub, response.workflow_id)
    # A watcher that stops part way (while the workflow may still be running) and resumes.
    second = start(stub, jobs=3, steps=50, step_delay_ms=2)
    call = stub.WatchLogs(pb.WatchLogsRequest(workflow_id=second.workflow_id), timeout=60)
    first_part = []
    for event in call:
        first_part.append(event)
        if len(first_part) == 40:
            call.cancel()
            break
    rest = watch_all_events(stub, second.workflow_id, after=first_part[-1].sequence)
    combined = [e.sequence for e in first_part + rest]
    assert combined == sorted(set(combined)), "no event repeated or out of order"
    assert len(combined) == len(full), "same number of events as an uninterrupted watch"
    assert rest[-1].kind == K.Value("LOG_EVENT_KIND_WORKFLOW_COMPLETED")


def test_watch_all_follows_live_until_cancelled(stub):
    call = stub.WatchLogs(pb.WatchLogsRequest(live_only=True), timeout=30)
    seen = []

    # The workflow is recognised by a user id chosen before it starts: it may complete before
    # StartWorkflow's answer arrives, so its workflow id can come too late to match (seen in CI).
    user = f"watch-all-{time.monotonic_ns()}"
    target = [None]

    def collect():
        started_ids = set()
        for event in call:
            seen.append(event)
            if event.kind == K.Value("LOG_EVENT_KIND_WORKFLOW_STARTED") and event.user_id == user:
                started_ids.add(event.workflow_id)
            if event.kind == K.Value("LOG_EVENT_KIND_WORKFLOW_COMPLETED") and event.workflow_id in started_ids:
                call.cancel()
                return

    reader = threading.Thread(target=collect)
    reader.start()
    time.sleep(0.3)
    target[0] = stub.StartWorkflow(pb.StartWorkflowRequest(
        type="TEST", params={"jobs": "1", "steps": "2", "step_delay_ms": "0"}, user_id=user), timeout=10).workflow_id
    reader.join(timeout=20)
    assert not reader.is_alive()
    assert call.code() == grpc.StatusCode.CANCELLED
    assert any(e.workflow_id == target[0] and e.kind == K.Value("LOG_EVENT_KIND_WORKFLOW_STARTED") for e in seen)


def test_two_hundred_concurrent_calls(stub):
    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(start, stub, jobs=1, steps=1, step_delay_ms=0) for _ in range(200)]
        ids = [f.result(timeout=30).workflow_id for f in futures]
    assert len(set(ids)) == 200
    gets = [stub.GetWorkflow.future(pb.GetWorkflowRequest(workflow_id=i)) for i in ids]
    assert {g.result(timeout=30).id for g in gets} == set(ids)


# MARK: errors


def expect_status(code, call, *args, **kwargs):
    with pytest.raises(grpc.RpcError) as failure:
        call(*args, **kwargs)
    assert failure.value.code() == code, failure.value.details()
    return failure.value.details()


def test_unknown_workflow_type_is_invalid_argument_naming_known_types(stub):
    details = expect_status(grpc.StatusCode.INVALID_ARGUMENT, stub.StartWorkflow, pb.StartWorkflowRequest(type="NOPE"))
    assert "NOPE" in details and "TEST" in details


def test_empty_type_is_invalid_argument(stub):
    details = expect_status(grpc.StatusCode.INVALID_ARGUMENT, stub.StartWorkflow, pb.StartWorkflowRequest())
    assert "type" in details


def test_bad_template_param_is_invalid_argument_naming_it(stub):
    details = expect_status(grpc.StatusCode.INVALID_ARGUMENT, stub.StartWorkflow,
                            pb.StartWorkflowRequest(type="TEST", params={"jobs": "many"}))
    assert "jobs" in details


def test_unknown_workflow_is_not_found(stub):
    details = expect_status(grpc.StatusCode.NOT_FOUND, stub.GetWorkflow, pb.GetWorkflowRequest(workflow_id="wf-missing"))
    assert "wf-missing" in details
    expect_status(grpc.StatusCode.NOT_FOUND, lambda r: list(stub.WatchLogs(r, timeout=5)),
                  pb.WatchLogsRequest(workflow_id="wf-missing"))


def test_empty_workflow_id_is_invalid_argument(stub):
    details = expect_status(grpc.StatusCode.INVALID_ARGUMENT, stub.GetWorkflow, pb.GetWorkflowRequest())
    assert "workflow_id" in details


def test_unicode_error_messages_survive_percent_encoding(stub):
    details = expect_status(grpc.StatusCode.INVALID_ARGUMENT, stub.StartWorkflow,
                            pb.StartWorkflowRequest(type="ÜBER_100%_✓"))
    assert "ÜBER_100%_✓" in details


def identity(raw):
    return raw


def test_unknown_method_and_service_are_unimplemented(channel):
    method = channel.unary_unary(f"/{WORKFLOW_SERVICE.full_name}/Nope", request_serializer=identity, response_deserializer=identity)
    expect_status(grpc.StatusCode.UNIMPLEMENTED, method, b"")
    service = channel.unary_unary("/workflow.v9.Other/Start", request_serializer=identity, response_deserializer=identity)
    expect_status(grpc.StatusCode.UNIMPLEMENTED, service, b"")


def test_request_over_four_mib_is_resource_exhausted(channel):
    method = channel.unary_unary(method_path(WORKFLOW_SERVICE, "StartWorkflow"), request_serializer=identity, response_deserializer=identity)
    big = pb.StartWorkflowRequest(type="TEST", summary="x" * (4 * 1024 * 1024 + 10)).SerializeToString()
    expect_status(grpc.StatusCode.RESOURCE_EXHAUSTED, method, big, timeout=20)


def test_unparsable_message_gets_a_clear_status(channel):
    method = channel.unary_unary(method_path(WORKFLOW_SERVICE, "StartWorkflow"), request_serializer=identity, response_deserializer=identity)
    details = expect_status(grpc.StatusCode.INVALID_ARGUMENT, method, b"\xff\xff\xff\xff\xff")
    assert "StartWorkflowRequest" in details


def test_a_string_that_is_not_utf8_is_invalid_argument_naming_the_field(channel, stub):
    """proto3 strings are UTF-8; stock servers reject others. Python's protobuf will not encode
    such a string, so the request is spelled out: type "TEST" (field 1), summary C3 28 (field 5)."""
    method = channel.unary_unary(method_path(WORKFLOW_SERVICE, "StartWorkflow"), request_serializer=identity, response_deserializer=identity)
    request = b"\x0a\x04TEST" + b"\x2a\x02\xc3\x28"
    details = expect_status(grpc.StatusCode.INVALID_ARGUMENT, method, request)
    assert "workflow.v1.StartWorkflowRequest.summary is not valid UTF-8" in details
    get = channel.unary_unary(method_path(WORKFLOW_SERVICE, "GetWorkflow"), request_serializer=identity, response_deserializer=identity)
    details = expect_status(grpc.StatusCode.INVALID_ARGUMENT, get, b"\x0a\x03wf\xff")
    assert "workflow.v1.GetWorkflowRequest.workflow_id is not valid UTF-8" in details
    assert pb.StartWorkflowRequest.FromString(b"\x0a\x04TEST").type == "TEST"


def test_server_keeps_serving_after_errors(stub):
    assert start(stub, jobs=1, steps=1, step_delay_ms=0).status == pb.WORKFLOW_STATUS_RUNNING
