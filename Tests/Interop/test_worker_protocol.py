"""workflow.v1.WorkerService with raw grpcio streams: what the server says to malformed and
out-of-order worker messages, fenced and numbered reports, and ListWorkers / workflowctl workers."""

import json
import os
import subprocess
import tempfile
import time

import grpc
import pytest

from conftest import ROOT, Server
from raw_worker import RawWorker
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc

TEMPLATES = """
[MIXED] retries=0 timeout=1m
Fetch   = wait wait_ms=1
Process = remote queue=q heartbeat=5s
Save    = wait wait_ms=1

[BIG] retries=0 timeout=1m
Process = remote queue=big heartbeat=30s
"""


@pytest.fixture(scope="module")
def worker_server():
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as file:
        file.write(TEMPLATES)
    server = Server("--templates", file.name)
    yield server
    server.stop()
    os.unlink(file.name)


@pytest.fixture
def channel(worker_server):
    with grpc.insecure_channel(worker_server.address) as channel:
        yield channel


@pytest.mark.parametrize("hello, status, text", [
    (pb.WorkerHello(instance_id="i", queues=["q"], slots=1), grpc.StatusCode.INVALID_ARGUMENT, "hello.name: must not be empty"),
    (pb.WorkerHello(name="w", queues=["q"], slots=1), grpc.StatusCode.INVALID_ARGUMENT, "hello.instance_id: must not be empty: give each worker process a unique id"),
    (pb.WorkerHello(name="w", instance_id="i", slots=1), grpc.StatusCode.INVALID_ARGUMENT, "hello.queues: must name at least one queue"),
    (pb.WorkerHello(name="w", instance_id="i", queues=["q"], slots=0), grpc.StatusCode.INVALID_ARGUMENT, "hello.slots: must be from 1 to 10000, got 0"),
])
def test_a_bad_hello_ends_the_stream_with_invalid_argument(channel, hello, status, text):
    worker = RawWorker(channel)
    worker.send(hello=hello)
    with pytest.raises(grpc.RpcError) as error:
        worker.next()
    assert error.value.code() == status
    assert error.value.details() == text


def test_messages_out_of_order_end_the_stream_with_a_precise_status(channel):
    before_hello = RawWorker(channel)
    before_hello.send(heartbeat=pb.WorkerHeartbeat())
    with pytest.raises(grpc.RpcError) as error:
        before_hello.next()
    assert (error.value.code(), error.value.details()) == (grpc.StatusCode.FAILED_PRECONDITION, "the first WorkerMessage must be hello")

    twice = RawWorker(channel)
    twice.hello(instance_id="twice")
    twice.send(hello=pb.WorkerHello(name="raw", instance_id="twice", queues=["q"], slots=1))
    with pytest.raises(grpc.RpcError) as error:
        twice.next()
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    empty = RawWorker(channel)
    empty.send()
    with pytest.raises(grpc.RpcError) as error:
        empty.next()
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_malformed_reports_are_refused_and_garbage_ends_the_stream(channel):
    worker = RawWorker(channel)
    worker.hello(instance_id="malformed")
    worker.send(report=pb.JobReport(sequence=1, completed=pb.JobCompletion()))
    refusal = worker.next_of("refusal")
    assert (refusal.code, refusal.message) == (grpc.StatusCode.INVALID_ARGUMENT.value[0], "report.lease: is required")
    lease = pb.LeaseToken(workflow_id="wf-nope", job_id="wf-nope-j1", attempt=1, epoch=1)
    worker.send(report=pb.JobReport(lease=lease, sequence=1, completed=pb.JobCompletion()))
    assert worker.next_of("refusal").code == grpc.StatusCode.NOT_FOUND.value[0]
    worker.close()

    raw = channel.stream_stream("/workflow.v1.WorkerService/Connect", request_serializer=lambda data: data,
                                response_deserializer=lambda data: data)
    with pytest.raises(grpc.RpcError) as error:
        list(raw(iter([b"\xff\xff\xff\xff"]), timeout=10))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not a valid workflow.v1.WorkerMessage" in error.value.details()


def test_reports_are_fenced_numbered_and_acknowledged_once_durable(channel):
    worker = RawWorker(channel)
    worker.hello(instance_id="fenced")
    service = workflow_pb2_grpc.WorkflowServiceStub(channel)
    workflow_id = service.StartWorkflow(pb.StartWorkflowRequest(type="MIXED"), timeout=10).workflow_id
    assignment = worker.next_of("assignment")
    lease = assignment.lease
    assert (lease.workflow_id, assignment.job_name, assignment.queue, assignment.heartbeat_timeout_ms) == (workflow_id, "Process", "q", 5000)

    worker.report(lease, 1, steps=["Created P-101"])
    assert worker.next_of("ack").sequence == 1
    worker.report(lease, 1, steps=["Created P-101"])
    assert worker.next_of("ack").sequence == 1
    worker.report(lease, 3, steps=["after a gap"])
    refusal = worker.next_of("refusal")
    assert (refusal.sequence, refusal.code) == (3, grpc.StatusCode.OUT_OF_RANGE.value[0])
    stale = pb.LeaseToken()
    stale.CopyFrom(lease)
    stale.epoch += 1000
    worker.report(stale, 2, steps=["stale"])
    refusal = worker.next_of("refusal")
    assert refusal.code == grpc.StatusCode.FAILED_PRECONDITION.value[0] and "no longer live" in refusal.message
    worker.report(lease, 2, steps=["Created P-102"], end="completed", counters={"itemsCreated": 2})
    assert worker.next_of("ack").sequence == 2

    deadline = time.monotonic() + 30
    workflow = service.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id), timeout=10)
    while workflow.status == pb.WORKFLOW_STATUS_RUNNING and time.monotonic() < deadline:
        time.sleep(0.02)
        workflow = service.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id), timeout=10)
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED
    job = workflow.jobs[1]
    assert [step.message for step in job.steps] == ["Created P-101", "Created P-102"]
    assert dict(job.stats.counters) == {"itemsCreated": 2}
    assert (job.worker.name, job.worker.instance_id, job.queue) == ("raw", "fenced", "q")
    worker.close()
    assert worker.next(timeout=10) is None


def test_list_workers_and_workflowctl_workers_show_slots_and_leases(channel, worker_server):
    worker = RawWorker(channel)
    worker.hello(name="lister", instance_id="lister-1", slots=3)
    service = workflow_pb2_grpc.WorkflowServiceStub(channel)
    workflow_id = service.StartWorkflow(pb.StartWorkflowRequest(type="MIXED"), timeout=10).workflow_id
    lease = worker.next_of("assignment").lease
    listed = workflow_pb2_grpc.WorkerServiceStub(channel).ListWorkers(pb.ListWorkersRequest(queue="q"), timeout=10)
    mine = [info for info in listed.workers if info.worker.instance_id == "lister-1"]
    assert len(mine) == 1
    assert (mine[0].slots, mine[0].slots_in_use, list(mine[0].queues)) == (3, 1, ["q"])
    assert [held.epoch for held in mine[0].leases] == [lease.epoch]
    assert workflow_pb2_grpc.WorkerServiceStub(channel).ListWorkers(pb.ListWorkersRequest(queue="other"), timeout=10).workers == []

    workflowctl = os.environ.get("WORKFLOWCTL", str(ROOT / ".build/debug/workflowctl"))
    output = subprocess.run([workflowctl, "workers", "--address", worker_server.address, "--output", "json"],
                            capture_output=True, text=True, timeout=30, check=True).stdout
    lines = [json.loads(line) for line in output.splitlines()]
    listed_worker = next(line for line in lines if line["instance_id"] == "lister-1")
    assert listed_worker["slots_in_use"] == 1 and listed_worker["leases"][0]["workflow_id"] == workflow_id
    text = subprocess.run([workflowctl, "workers", "--address", worker_server.address, "--output", "text"],
                          capture_output=True, text=True, timeout=30, check=True).stdout
    assert "lister-1" in text and "1/3" in text

    worker.report(lease, 1, end="completed")
    assert worker.next_of("ack").sequence == 1
    worker.close()


def test_a_worker_that_stops_reading_is_ended_and_forgotten_not_kept_as_a_black_hole(channel):
    """200 assignments of 240 KB each pile up unread (past what flow control lets the client buffer): the server ends the
    stream with RESOURCE_EXHAUSTED and the worker is gone from ListWorkers, so nothing more is
    assigned to it."""
    import queue as queues
    requests = queues.Queue()
    requests.put(pb.WorkerMessage(hello=pb.WorkerHello(name="deaf", instance_id="deaf-1", queues=["big"], slots=250)))

    def outgoing():
        while True:
            message = requests.get()
            if message is None:
                return
            yield message

    call = workflow_pb2_grpc.WorkerServiceStub(channel).Connect(outgoing(), timeout=60)
    workers = workflow_pb2_grpc.WorkerServiceStub(channel)
    deadline = time.monotonic() + 20
    while not workers.ListWorkers(pb.ListWorkersRequest(queue="big"), timeout=10).workers:
        assert time.monotonic() < deadline, "the deaf worker never registered"
        time.sleep(0.05)
    service = workflow_pb2_grpc.WorkflowServiceStub(channel)
    big = {f"blob{n}": "x" * (60 << 10) for n in range(4)}
    ids = [service.StartWorkflow(pb.StartWorkflowRequest(type="BIG", params=big), timeout=10).workflow_id for _ in range(200)]
    deadline = time.monotonic() + 30
    while workers.ListWorkers(pb.ListWorkersRequest(queue="big"), timeout=10).workers:
        assert time.monotonic() < deadline, "a worker that reads nothing is still registered"
        time.sleep(0.1)
    with pytest.raises(grpc.RpcError) as error:
        for _ in call:
            pass
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    requests.put(None)
    for workflow_id in ids:
        service.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=workflow_id), timeout=10)
