"""A watch of one workflow ends OK only after that workflow's terminal event.

Many short workflows, each followed live from its start by its own watch, many at a time: the
moment a workflow ends races with its watch catching up, which is where an early end shows.
"""

import threading

import grpc

from conftest import Server
from watching import TERMINAL, brief
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc

WORKFLOWS, AT_ONCE = 1000, 60


def test_every_watch_of_a_workflow_ends_with_its_terminal_event():
    server = Server()
    early: list = []
    failed: list = []
    lock = threading.Lock()
    slots = threading.Semaphore(AT_ONCE)
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = workflow_pb2_grpc.WorkflowServiceStub(channel)

            def watch(n):
                try:
                    started = stub.StartWorkflow(pb.StartWorkflowRequest(
                        type="TEST", params={"jobs": "2", "steps": "3", "step_delay_ms": str(n % 7)}), timeout=10)
                    events = list(stub.WatchLogs(pb.WatchLogsRequest(workflow_id=started.workflow_id), timeout=30))
                    if not events or events[-1].kind not in TERMINAL:
                        with lock:
                            early.append((started.workflow_id, [brief(e) for e in events[-2:]]))
                except grpc.RpcError as error:
                    with lock:
                        failed.append(error.code())
                finally:
                    slots.release()

            threads = []
            for n in range(WORKFLOWS):
                slots.acquire()
                thread = threading.Thread(target=watch, args=(n,), daemon=True)
                thread.start()
                threads.append(thread)
            for thread in threads:
                thread.join(timeout=60)
    finally:
        server.stop()
    assert not failed, failed
    assert not early, f"{len(early)} of {WORKFLOWS} watches ended OK before the terminal event: {early[:5]}"
