"""log_step → watcher latency over loopback, release workflowd, one Python watcher.

The server stamps each step with its wall-clock millisecond (timestamp_ms) when the job logs
it; the watcher subtracts that from its own clock on receipt. Timestamps are whole
milliseconds, so each figure is an upper bound up to 1 ms above the real latency (and includes
Python's own receive path). A benchmark, not a test.

    WORKFLOWD=.build/release/workflowd .venv/bin/python Benchmarks/step_latency_loopback.py
"""

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests/Interop"))

import grpc  # noqa: E402

from conftest import Server, workflow_pb2 as pb, workflow_pb2_grpc  # noqa: E402

STEPS = 2000


def measure(args):
    server = Server(*args)
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
            started = stub.StartWorkflow(pb.StartWorkflowRequest(
                type="TEST", params={"jobs": "1", "steps": str(STEPS), "step_delay_ms": "1"}))
            latencies = []
            for event in stub.WatchLogs(pb.WatchLogsRequest(workflow_id=started.workflow_id, live_only=False)):
                now_ms = time.time() * 1000
                if event.kind == pb.LOG_EVENT_KIND_STEP_LOGGED:
                    latencies.append(now_ms - event.timestamp_ms)
    finally:
        server.stop()
    latencies = sorted(latencies[100:])  # skip the start-up replay
    return latencies[len(latencies) // 2], latencies[len(latencies) * 99 // 100]


with tempfile.TemporaryDirectory() as tmp:
    for name, args in (("memory", ["--store", "memory"]), ("sqlite", ["--data-dir", str(Path(tmp) / "data")])):
        p50, p99 = measure(args)
        print(f"{name:7} step→watcher p50 ≤ {p50:.2f} ms  p99 ≤ {p99:.2f} ms (ms-granular upper bounds)")
