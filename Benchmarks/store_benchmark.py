"""Durable (sqlite) versus in-memory store on the same machine and binary, one after the other.

Measures StartWorkflow throughput (h2load, every call answered only once durable) and step
throughput (workflows logging steps with no delay, until all completed). A benchmark, not a
test: run it by hand and record the numbers in BENCHMARKS.md.

    WORKFLOWD=.build/release/workflowd .venv/bin/python Benchmarks/store_benchmark.py
"""

import os
import re
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests/Interop"))

import grpc  # noqa: E402

from conftest import WORKFLOW_SERVICE, Server, method_path, workflow_pb2 as pb, workflow_pb2_grpc  # noqa: E402

STARTS = int(os.environ.get("BENCH_STARTS", "20000"))
STEP_WORKFLOWS = 8
STEPS_EACH = int(os.environ.get("BENCH_STEPS", "20000"))


def start_throughput(server, tmp):
    message = pb.StartWorkflowRequest(type="TEST", params={"jobs": "1", "steps": "0", "step_delay_ms": "0"}).SerializeToString()
    body = Path(tmp) / "start.grpc"
    body.write_bytes(struct.pack(">BI", 0, len(message)) + message)
    run = subprocess.run(
        ["h2load", "-n", str(STARTS), "-c", "4", "-m", "32", "-d", str(body),
         "-H", "content-type: application/grpc", "-H", "te: trailers",
         f"http://{server.address}{method_path(WORKFLOW_SERVICE, 'StartWorkflow')}"],
        capture_output=True, text=True, timeout=600)
    assert re.search(rf"{STARTS} succeeded, 0 failed", run.stdout), run.stdout
    return float(re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", run.stdout).group(1))


def step_throughput(server):
    with grpc.insecure_channel(server.address) as channel:
        stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
        began = time.monotonic()
        ids = [stub.StartWorkflow(pb.StartWorkflowRequest(
            type="TEST", params={"jobs": "1", "steps": str(STEPS_EACH), "step_delay_ms": "0"})).workflow_id
            for _ in range(STEP_WORKFLOWS)]
        while True:
            statuses = [stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=wid)).status for wid in ids]
            if all(status != pb.WORKFLOW_STATUS_RUNNING for status in statuses):
                break
            time.sleep(0.02)
        elapsed = time.monotonic() - began
        # Each step is a STEP_LOGGED and a PROGRESS_UPDATED event.
        return STEP_WORKFLOWS * STEPS_EACH / elapsed


def main():
    results = {}
    for store in ("memory", "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            args = ["--store", "memory"] if store == "memory" else ["--data-dir", str(Path(tmp) / "data")]
            server = Server(*args)
            try:
                starts = start_throughput(server, tmp)
                steps = step_throughput(server)
            finally:
                server.stop()
            results[store] = (starts, steps)
            print(f"{store:7} StartWorkflow {starts:10.0f}/s   steps {steps:10.0f}/s", flush=True)
    memory, sqlite = results["memory"], results["sqlite"]
    print(f"durable/in-memory: StartWorkflow {sqlite[0] / memory[0]:.2f}, steps {sqlite[1] / memory[1]:.2f}")


if __name__ == "__main__":
    main()
