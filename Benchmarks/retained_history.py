#!/usr/bin/env python3
"""What a server that has run many workflows costs, and how fast it reads its history back.

Fills a fresh workflowd with --workflows finished TEST workflows (2 jobs of 4 steps each, 22
events apiece: 1,100,000 events for 50,000 workflows, more than the default event retention of
1,000,000), waits until none runs, then measures:

  memory      the server's RSS once everything has finished (and its peak), and for the SQLite
              store the size of the WAL file
  GetWorkflow one random finished workflow at a time, whole (steps included), over the HTTP
              side port: p50, p99 and max over --reads reads
  deep watch  WatchLogs from an `after_sequence` deep in the history: the time from the
              request to the first event, for cursors spread over the retained events (every
              workflow's events, no filter), over gRPC (the C++ bench_client, given
              --reference-dir) and as server-sent events, and for the watch of one old finished
              workflow from its start

for each store named by --stores (sqlite, the default, and memory for contrast) and prints a
Markdown table (also to --output).

Usage: Benchmarks/retained_history.py --workflowd .build/release/workflowd
           [--reference-dir .build/bench/reference] [--tiny] [--output F]
Standard library only (and bench_client); the server runs pinned to core 0 (when taskset
exists), the clients here.
"""
import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from console_http import Client, Server  # the console benchmark's server and client

PARAMS = {"jobs": "2", "steps": "4", "step_delay_ms": "0"}


def fill(port: int, workflows: int) -> list[str]:
    """Starts `workflows` TEST workflows over 4 connections; returns their ids."""
    def start_range(indices):
        client = Client(port)
        return [client.json("POST", "/api/v1/workflows", {"type": "TEST", "params": PARAMS, "user_id": f"user-{index % 50}"})["workflow_id"]
                for index in indices]
    with ThreadPoolExecutor(4) as pool:
        return [workflow_id for part in pool.map(start_range, [range(part, workflows, 4) for part in range(4)]) for workflow_id in part]


def wait_until_finished(client: Client, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while True:
        counts = client.json("GET", "/api/v1/workflow-counts").get("counts", [])
        if not any(count.get("status") == "WORKFLOW_STATUS_RUNNING" for count in counts):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"workflows still run after {timeout:.0f} s: {counts}")
        time.sleep(0.5)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def get_workflows(client: Client, ids: list[str], reads: int) -> dict:
    latencies = []
    for workflow_id in random.Random(7).choices(ids, k=reads):
        began = time.perf_counter()
        tree = client.json("GET", f"/api/v1/workflows/{workflow_id}")
        latencies.append((time.perf_counter() - began) * 1000)
        steps = sum(len(job.get("steps", [])) for job in tree["jobs"])
        if tree["status"] != "WORKFLOW_STATUS_COMPLETED" or steps != 8:
            raise RuntimeError(f"{workflow_id}: {tree['status']} with {steps} steps, expected COMPLETED with 8")
    return {"p50": statistics.median(latencies), "p99": percentile(latencies, 0.99), "max": max(latencies)}


def first_event_ms(port: int, query: str) -> tuple[float, dict]:
    """Opens the event stream with `query` and returns the time to its first event (ms) and the event."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    began = time.perf_counter()
    connection.request("GET", f"/api/v1/events?{query}", headers={"Accept": "text/event-stream"})
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"GET /api/v1/events?{query}: {response.status} {response.read()[:300]!r}")
    event_name = None
    while True:
        line = response.fp.readline()
        if not line:
            raise RuntimeError(f"GET /api/v1/events?{query}: the stream ended before an event")
        if line.startswith(b"event:"):
            event_name = line[6:].strip()
        if line.startswith(b"data:"):
            elapsed = (time.perf_counter() - began) * 1000
            connection.close()
            if event_name is not None:
                raise RuntimeError(f"GET /api/v1/events?{query}: the stream ended before an event: {line!r}")
            return elapsed, json.loads(line[5:])


def grpc_first_event_ms(bench_client: str, port: int, cursor: int) -> float:
    """The C++ client's time from opening WatchLogs after `cursor` to its first event (ms)."""
    output = subprocess.run([bench_client, "first-event", f"127.0.0.1:{port}", str(cursor)],
                            check=True, capture_output=True, text=True, timeout=120).stdout
    values = dict(item.split("=", 1) for item in output.split())
    if int(values["sequence"]) != cursor + 1:
        raise RuntimeError(f"after_sequence={cursor}: first event {values['sequence']}, expected {cursor + 1}")
    return float(values["ms"])


def deep_watches(server: Server, client: Client, ids: list[str], samples: int, bench_client: str | None) -> dict:
    port = server.http_port
    newest = int(client.json("GET", f"/api/v1/workflows/{ids[-1]}?omit_steps=true")["as_of_sequence"])
    # The oldest retained event: the first one a watch from the start receives.
    _, first = first_event_ms(port, "after_sequence=0")
    oldest = int(first["sequence"])
    all_events, over_grpc, one_workflow = [], [], []
    by_age = sorted(ids)
    rng = random.Random(11)
    for index in range(samples):
        cursor = oldest + int((newest - oldest) * (index + 0.5) / samples)
        elapsed, event = first_event_ms(port, f"after_sequence={cursor}")
        if int(event["sequence"]) != cursor + 1:
            raise RuntimeError(f"after_sequence={cursor}: first event {event['sequence']}, expected {cursor + 1}")
        all_events.append(elapsed)
        if bench_client:
            over_grpc.append(grpc_first_event_ms(bench_client, server.port, cursor))
        # An old workflow whose events are still retained (the oldest tenth's are pruned);
        # ids sort by creation time.
        workflow_id = rng.choice(by_age[len(by_age) // 5: max(len(by_age) // 5 + 1, len(by_age) // 2)])
        elapsed, event = first_event_ms(port, f"workflow_id={workflow_id}")
        if event["workflow_id"] != workflow_id or event["kind"] != "LOG_EVENT_KIND_WORKFLOW_STARTED":
            raise RuntimeError(f"the watch of {workflow_id} began with {event}")
        one_workflow.append(elapsed)
    result = {
        "events": newest - oldest + 1,
        "all_p50": statistics.median(all_events), "all_max": max(all_events),
        "one_p50": statistics.median(one_workflow), "one_max": max(one_workflow),
    }
    if over_grpc:
        result.update(grpc_p50=statistics.median(over_grpc), grpc_max=max(over_grpc))
    return result


def wal_mib(server: Server) -> float:
    path = os.path.join(server.data_dir, "workflows.sqlite-wal")
    return os.path.getsize(path) / 2**20 if os.path.exists(path) else 0.0


def peak_rss_kib(server: Server) -> int:
    with open(f"/proc/{server.process.pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def run_store(binary: str, store: str, workflows: int, reads: int, samples: int, bench_client: str | None) -> dict:
    server = Server(binary, *(["--store", "memory"] if store == "memory" else []), prefix="history-bench-")
    try:
        client = Client(server.http_port)
        began = time.monotonic()
        ids = fill(server.http_port, workflows)
        wait_until_finished(client)
        filled = time.monotonic() - began
        time.sleep(3)  # a checkpoint round and the engine's cooling of finished workflows
        result = {"store": store, "fill_s": filled, "rss": server.rss_kib() / 1024, "peak": peak_rss_kib(server) / 1024,
                  "wal": wal_mib(server) if store == "sqlite" else None}
        result.update({f"get_{key}": value for key, value in get_workflows(client, ids, reads).items()})
        result.update(deep_watches(server, client, ids, samples, bench_client))
        result["rss_after_reads"] = server.rss_kib() / 1024
        return result
    finally:
        server.stop()


def table(results: list[dict], workflows: int) -> str:
    rows = [
        ("events retained", lambda r: f"{r['events']:,}"),
        ("time to start and finish them (s)", lambda r: f"{r['fill_s']:.1f}"),
        ("RSS once all finished (MiB)", lambda r: f"{r['rss']:.0f}"),
        ("peak RSS (MiB)", lambda r: f"{r['peak']:.0f}"),
        ("RSS after the reads below (MiB)", lambda r: f"{r['rss_after_reads']:.0f}"),
        ("WAL file (MiB)", lambda r: "—" if r["wal"] is None else f"{r['wal']:.1f}"),
        ("GetWorkflow of a random one, whole: p50 / p99 / max (ms)", lambda r: f"{r['get_p50']:.2f} / {r['get_p99']:.2f} / {r['get_max']:.2f}"),
        ("WatchLogs (gRPC) from a deep after_sequence, all events: first event p50 / max (ms)",
         lambda r: f"{r['grpc_p50']:.2f} / {r['grpc_max']:.2f}" if "grpc_p50" in r else "—"),
        ("WatchLogs (SSE) from a deep after_sequence, all events: first event p50 / max (ms)", lambda r: f"{r['all_p50']:.2f} / {r['all_max']:.2f}"),
        ("WatchLogs (SSE) of one old workflow: first event p50 / max (ms)", lambda r: f"{r['one_p50']:.2f} / {r['one_max']:.2f}"),
    ]
    lines = [f"{workflows:,} finished TEST workflows (2 jobs × 4 steps), over HTTP", "",
             "| measure | " + " | ".join(r["store"] for r in results) + " |", "|---|" + "---|" * len(results)]
    lines += [f"| {name} | " + " | ".join(cell(r) for r in results) + " |" for name, cell in rows]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workflowd", required=True)
    parser.add_argument("--reference-dir", help="where bench_client is (adds the gRPC deep watch)")
    parser.add_argument("--workflows", type=int, default=50_000)
    parser.add_argument("--reads", type=int, default=1_000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--stores", default="sqlite,memory")
    parser.add_argument("--tiny", action="store_true", help="a small run that only checks everything works")
    parser.add_argument("--output")
    args = parser.parse_args()
    if args.tiny:
        args.workflows, args.reads, args.samples = 300, 50, 3
    bench_client = os.path.join(args.reference_dir, "bench_client") if args.reference_dir else None
    results = [run_store(args.workflowd, store, args.workflows, args.reads, args.samples, bench_client)
               for store in args.stores.split(",")]
    text = table(results, args.workflows)
    print(text)
    if args.output:
        with open(args.output, "w") as output:
            output.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
