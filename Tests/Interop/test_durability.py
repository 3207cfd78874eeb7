"""Durability of the default SQLite store: workflowd is killed with SIGKILL under load and
restarted on the same data directory; nothing acknowledged may be lost.

Each run starts workflows from several threads (every answered StartWorkflow is recorded),
follows every event with one watcher of the whole log and one watcher per long workflow, kills
the server at a different moment, restarts it and checks that
- every workflow whose StartWorkflow was answered OK exists, and none is still RUNNING;
- every event a watcher received before the kill is replayed with the same sequence, kind,
  workflow and message, with no gap from sequence 1;
- workflows that were running (whose jobs get one attempt, the TEST default) have the running
  job's attempt recorded INTERRUPTED (a JOB_INTERRUPTED event) and, with no attempt left, are
  FAILED at that job with its error, their later jobs CANCELLED, a failure notice logged after
  the old events, and a retry resumes them (test_restarts.py covers jobs with attempts left);
- new events continue the sequence numbers.
"""

import subprocess
import threading
import time

import grpc
import pytest

from conftest import Server, workflowd_binary, workflow_pb2 as pb, workflow_pb2_grpc
from watching import replay_everything

RUN_SECONDS_MAX = 20


def _starter(stub, prefix, answered, lock, stop):
    """Starts workflows until the server dies: short ones, and every fifth a long one."""
    count = 0
    while not stop.is_set():
        count += 1
        long_one = count % 5 == 0
        params = {"jobs": "3", "steps": "400" if long_one else "8", "step_delay_ms": "5" if long_one else "2"}
        request_id = f"{prefix}-{count}"
        try:
            response = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params=params, request_id=request_id), timeout=5)
        except grpc.RpcError:
            return
        with lock:
            answered[response.workflow_id] = (request_id, long_one)


def _watcher(stub, request, received, stop):
    """Collects events until the stream breaks (the server was killed)."""
    try:
        for event in stub.WatchLogs(request):
            received.append(event)
    except grpc.RpcError:
        return


@pytest.mark.parametrize("kill_after", [0.2, 0.6, 1.2, 2.0, 3.0])
def test_sigkill_under_load_loses_nothing_acknowledged(kill_after, tmp_path):
    data_dir = str(tmp_path / "data")
    deadline = time.monotonic() + RUN_SECONDS_MAX
    server = Server(data_dir=data_dir)
    answered: dict[str, tuple[str, bool]] = {}
    lock = threading.Lock()
    stop = threading.Event()
    channel = grpc.insecure_channel(server.address)
    stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
    grpc.channel_ready_future(channel).result(timeout=10)

    everything: list = []
    threads = [threading.Thread(target=_watcher, args=(stub, pb.WatchLogsRequest(), everything, stop), daemon=True)]
    threads += [
        threading.Thread(target=_starter, args=(stub, f"kill{kill_after}-t{n}", answered, lock, stop), daemon=True)
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    # One watcher per long workflow started early on.
    long_watches: dict[str, list] = {}
    time.sleep(min(kill_after, 0.15))
    with lock:
        early_long = [wid for wid, (_, long_one) in answered.items() if long_one][:3]
    for workflow_id in early_long:
        long_watches[workflow_id] = []
        watcher = threading.Thread(
            target=_watcher, args=(stub, pb.WatchLogsRequest(workflow_id=workflow_id), long_watches[workflow_id], stop), daemon=True
        )
        watcher.start()
        threads.append(watcher)
    time.sleep(max(0.0, kill_after - 0.15))

    server.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    channel.close()
    with lock:
        answered = dict(answered)
    received = list(everything)
    assert answered, "no StartWorkflow was answered before the kill"

    restarted = Server(data_dir=data_dir)
    try:
        with grpc.insecure_channel(restarted.address) as channel:
            stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
            # Every acknowledged start exists, and nothing is left RUNNING.
            interrupted = []
            for workflow_id, (request_id, _) in answered.items():
                workflow = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id), timeout=10)
                assert workflow.request_id == request_id
                assert workflow.status in (pb.WORKFLOW_STATUS_COMPLETED, pb.WORKFLOW_STATUS_FAILED), workflow
                if workflow.status == pb.WORKFLOW_STATUS_FAILED:
                    interrupted.append(workflow)

            # Every received event is in the store, unchanged, with no gap from 1.
            newest_received = max((event.sequence for event in received), default=0)
            for events in long_watches.values():
                newest_received = max([newest_received, *(event.sequence for event in events)])
            replayed = replay_everything(stub, newest_received) if newest_received else []
            assert [event.sequence for event in replayed] == list(range(1, newest_received + 1))
            by_sequence = {event.sequence: event for event in replayed}
            for event in received + [event for events in long_watches.values() for event in events]:
                stored = by_sequence[event.sequence]
                assert (stored.kind, stored.workflow_id, stored.message) == (event.kind, event.workflow_id, event.message)

            # Interrupted workflows: FAILED at the running job, later jobs cancelled, a notice.
            for workflow in interrupted:
                assert workflow.error == "interrupted: the server stopped while attempt 1 ran (a crash, a kill or a power loss)"
                failed_at = next(index for index, job in enumerate(workflow.jobs) if job.id == workflow.failed_job_id)
                assert workflow.jobs[failed_at].status == pb.JOB_STATUS_FAILED
                outcomes = [attempt.outcome for attempt in workflow.jobs[failed_at].failed_attempts]
                assert outcomes == [pb.JOB_ATTEMPT_OUTCOME_INTERRUPTED], workflow.jobs[failed_at]
                assert all(job.status == pb.JOB_STATUS_COMPLETED for job in workflow.jobs[:failed_at])
                assert all(job.status == pb.JOB_STATUS_CANCELLED for job in workflow.jobs[failed_at + 1:])
                events = list(stub.WatchLogs(pb.WatchLogsRequest(workflow_id=workflow.id), timeout=30))
                kinds = [event.kind for event in events]
                assert kinds[-2:] == [pb.LOG_EVENT_KIND_FAILURE_NOTICE, pb.LOG_EVENT_KIND_WORKFLOW_FAILED]
                assert kinds.count(pb.LOG_EVENT_KIND_JOB_INTERRUPTED) == 1
                assert events[-1].sequence > newest_received

            # A watcher of a long workflow resumes after the last event it got, across the restart.
            for workflow_id, events in long_watches.items():
                after = events[-1].sequence if events else 0
                rest = list(stub.WatchLogs(pb.WatchLogsRequest(workflow_id=workflow_id, after_sequence=after), timeout=30))
                assert rest and rest[-1].kind in (pb.LOG_EVENT_KIND_WORKFLOW_FAILED, pb.LOG_EVENT_KIND_WORKFLOW_COMPLETED)
                assert all(event.sequence > after for event in rest)

            # Sequences continue, and a retry resumes an interrupted workflow.
            fresh = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"step_delay_ms": "0"}), timeout=10)
            first = next(stub.WatchLogs(pb.WatchLogsRequest(workflow_id=fresh.workflow_id), timeout=10))
            assert first.sequence > newest_received
            if interrupted:
                retried = stub.RetryWorkflow(pb.RetryWorkflowRequest(workflow_id=interrupted[0].id), timeout=10)
                assert retried.attempt == 2
                assert retried.job_id == interrupted[0].failed_job_id
    finally:
        restarted.stop()
    assert restarted.process.returncode == 0
    assert time.monotonic() < deadline + 60, "the run took far longer than planned"


def _start_expecting_failure(*args):
    result = subprocess.run(
        [str(workflowd_binary()), "--host", "127.0.0.1", "--port", "0", "--http-port", "0", *args],
        capture_output=True, text=True, timeout=30,
    )
    return result


def test_a_corrupt_data_file_stops_the_server_with_a_clear_error(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "workflows.sqlite").write_bytes(b"this is not a database, and must not be reset\n" * 200)
    result = _start_expecting_failure("--data-dir", str(data_dir))
    assert result.returncode == 74, result.stderr
    assert "cannot open the data store" in result.stderr
    assert str(data_dir / "workflows.sqlite") in result.stderr
    assert (data_dir / "workflows.sqlite").read_bytes().startswith(b"this is not a database")


def test_an_unreadable_data_directory_stops_the_server_with_a_clear_error(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the data directory should be")
    result = _start_expecting_failure("--data-dir", str(blocker))
    assert result.returncode == 74, result.stderr
    assert "data directory" in result.stderr


def test_two_servers_never_share_a_data_directory(tmp_path):
    data_dir = str(tmp_path / "data")
    first = Server(data_dir=data_dir)
    try:
        result = _start_expecting_failure("--data-dir", data_dir)
        assert result.returncode == 74, result.stderr
        assert "another workflowd uses this data directory" in result.stderr
    finally:
        first.stop()


def test_a_clean_restart_keeps_workflows_and_sequences(tmp_path):
    data_dir = str(tmp_path / "data")
    server = Server(data_dir=data_dir)
    with grpc.insecure_channel(server.address) as channel:
        stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
        started = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"step_delay_ms": "0"}, request_id="clean-1"))
        events = list(stub.WatchLogs(pb.WatchLogsRequest(workflow_id=started.workflow_id), timeout=30))
        before = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id))
    server.stop()
    server = Server(data_dir=data_dir)
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
            after = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id))
            assert after == before
            again = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"step_delay_ms": "0"}, request_id="clean-1"))
            assert again.workflow_id == started.workflow_id
            replayed = list(stub.WatchLogs(pb.WatchLogsRequest(workflow_id=started.workflow_id), timeout=30))
            assert replayed == events
    finally:
        server.stop()
