"""History older than memory, read by stock grpcio: workflowd keeps only the newest 4,096 events
and no finished workflow's steps in memory (--events-in-memory 4096
--finished-workflows-in-memory 0), so every read below comes from the SQLite store, before and
after a restart; the answers must equal what watchers saw live.
"""

import grpc

from conftest import Server, workflow_pb2 as pb, workflow_pb2_grpc

HISTORY_FLAGS = ("--events-in-memory", "4096", "--finished-workflows-in-memory", "0")


def _run(stub, params):
    workflow_id = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params=params), timeout=10).workflow_id
    events = list(stub.WatchLogs(pb.WatchLogsRequest(workflow_id=workflow_id), timeout=60))
    assert events[-1].kind in (pb.LOG_EVENT_KIND_WORKFLOW_COMPLETED, pb.LOG_EVENT_KIND_WORKFLOW_FAILED)
    return workflow_id, events


def _steps_by_job(events):
    steps = {}
    for event in events:
        if event.kind == pb.LOG_EVENT_KIND_STEP_LOGGED:
            steps.setdefault(event.job_id, []).append((event.step.id, event.step.sequence, event.step.message))
    return steps


def _check_reads(stub, workflow_id, live_events):
    live = _steps_by_job(live_events)
    tree = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id), timeout=10)
    assert {job.id: [(s.id, s.sequence, s.message) for s in job.steps] for job in tree.jobs if job.steps} == live
    assert [job.step_count for job in tree.jobs] == [len(live.get(job.id, [])) for job in tree.jobs]
    summary = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id, omit_steps=True), timeout=10)
    assert [job.step_count for job in summary.jobs] == [job.step_count for job in tree.jobs]
    assert all(not job.steps for job in summary.jobs)
    # The console's way: newest first, a page at a time, back to the start.
    pages, before = [], 0
    while True:
        page = stub.ListSteps(pb.ListStepsRequest(workflow_id=workflow_id, page_size=3, before_sequence=before), timeout=10)
        pages = list(page.steps) + pages
        if not page.has_more:
            break
        before = page.steps[0].sequence
    assert [event.step.sequence for event in pages] == sorted(s[1] for steps in live.values() for s in steps)
    # And a replay of the whole log of it, from the store.
    replay = list(stub.WatchLogs(pb.WatchLogsRequest(workflow_id=workflow_id), timeout=60))
    assert [(e.sequence, e.kind, e.message) for e in replay] == [(e.sequence, e.kind, e.message) for e in live_events]


def test_old_history_reads_back_from_the_store_before_and_after_a_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    server = Server(*HISTORY_FLAGS, data_dir=data_dir)
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
            old = [_run(stub, {"jobs": "2", "steps": "3", "step_delay_ms": "0"}) for _ in range(5)]
            failed = _run(stub, {"jobs": "3", "steps": "2", "step_delay_ms": "0", "fail_job": "2"})
            # Enough events after them that theirs are no longer in memory.
            _run(stub, {"jobs": "1", "steps": "3000", "step_delay_ms": "0"})
            for workflow_id, events in old + [failed]:
                _check_reads(stub, workflow_id, events)

            # A retry of a workflow whose steps are in the store numbers its new steps on.
            stub.RetryWorkflow(pb.RetryWorkflowRequest(workflow_id=failed[0]), timeout=10)
            retried = list(stub.WatchLogs(pb.WatchLogsRequest(workflow_id=failed[0], after_sequence=failed[1][-1].sequence), timeout=60))
            assert retried[-1].kind == pb.LOG_EVENT_KIND_WORKFLOW_FAILED
            tree = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=failed[0]), timeout=10)
            ids = [step.id for job in tree.jobs for step in job.steps]
            assert len(ids) == len(set(ids)), ids
            assert sum(job.step_count for job in tree.jobs) == len(ids)
            assert [s.sequence for job in tree.jobs for s in job.steps] == sorted(s.sequence for job in tree.jobs for s in job.steps)
            failed_after_retry = (failed[0], failed[1] + retried)
        server.stop()

        server = Server(*HISTORY_FLAGS, data_dir=data_dir)
        with grpc.insecure_channel(server.address) as channel:
            stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
            for workflow_id, events in old + [failed_after_retry]:
                _check_reads(stub, workflow_id, events)
            listed = stub.ListWorkflows(pb.ListWorkflowsRequest(page_size=100), timeout=10)
            counts = {workflow.id: [job.step_count for job in workflow.jobs] for workflow in listed.workflows}
            assert counts[old[0][0]] == [3, 3]
    finally:
        server.stop()
