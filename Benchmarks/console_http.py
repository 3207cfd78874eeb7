#!/usr/bin/env python3
"""The console's reads at the scale the issue names: 100,000 retained workflows and one
workflow of 100,000 steps, through the HTTP side port, plus the fan-out of live events to many
browsers.

Prints a Markdown table of latencies (p50 and p99 over --rounds sequential requests on one
keep-alive connection) and answer sizes per route, the ratio between reading a long workflow
whole and the console's way (the tree without steps and one window of the log), and, for
--sse-clients event streams watching every workflow, how long a started workflow takes to reach
all of them and what the streams cost the server in memory.

Usage: Benchmarks/console_http.py --workflowd .build/release/workflowd [--tiny] [--output F]
Standard library only; the server runs pinned to core 0 (when taskset exists), this script on
core 1.
"""
import argparse
import http.client
import json
import os
import re
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor


class Server:
    """A workflowd on 127.0.0.1 with its HTTP side port, on a data directory of its own, pinned to
    core 0 when taskset exists; `extra` are more flags."""

    def __init__(self, binary: str, *extra: str, prefix: str = "console-bench-"):
        self.data_dir = tempfile.mkdtemp(prefix=prefix)
        command = [binary, "--host", "127.0.0.1", "--port", "0", "--http-port", "0", "--data-dir", self.data_dir, *extra]
        if shutil.which("taskset") and os.cpu_count() and os.cpu_count() >= 2:
            command = ["taskset", "-c", "0", *command]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.http_port = 0
        self.port = 0  # the gRPC port
        deadline = time.monotonic() + 60
        while not self.http_port:
            line = self.process.stderr.readline()
            if not line or time.monotonic() > deadline:
                raise RuntimeError("workflowd did not report its HTTP port")
            grpc_port = re.search(r"server\.port=(\d+)", line)
            if grpc_port:
                self.port = int(grpc_port.group(1))
            match = re.search(r"server\.http_port=(\d+)", line)
            if match:
                self.http_port = int(match.group(1))
        threading.Thread(target=lambda: [None for _ in self.process.stderr], daemon=True).start()

    def rss_kib(self) -> int:
        # taskset execs the server, so the pid is the server's either way.
        with open(f"/proc/{self.process.pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)
        shutil.rmtree(self.data_dir, ignore_errors=True)


class Client:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, body=None) -> tuple[int, bytes]:
        payload = None if body is None else json.dumps(body).encode()
        self.connection.request(method, path, body=payload, headers={"Content-Type": "application/json"})
        response = self.connection.getresponse()
        return response.status, response.read()

    def json(self, method: str, path: str, body=None) -> dict:
        status, data = self.request(method, path, body)
        if status != 200:
            raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
        return json.loads(data)


def fill(port: int, workflows: int) -> None:
    """`workflows` one-job TEST workflows, every hundredth failing, summaries "Import gold-<n>"."""
    def start_range(indices):
        client = Client(port)
        for index in indices:
            params = {"steps": "1", "step_delay_ms": "0", **({"fail_job": "1"} if index % 100 == 0 else {})}
            client.json("POST", "/api/v1/workflows", {
                "type": "TEST", "params": params, "summary": f"Import gold-{index}", "user_id": f"user-{index % 50}",
            })
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(start_range, [range(part, workflows, 4) for part in range(4)]))


def wait_until_settled(client: Client, workflow_id: str, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        tree = client.json("GET", f"/api/v1/workflows/{workflow_id}?omit_steps=true")
        if tree["status"] != "WORKFLOW_STATUS_RUNNING":
            return tree
        if time.monotonic() > deadline:
            raise RuntimeError(f"{workflow_id} still runs after {timeout:.0f} s")
        time.sleep(0.2)


def measure(client: Client, path: str, rounds: int) -> dict:
    latencies, size = [], 0
    for _ in range(rounds):
        began = time.perf_counter()
        status, data = client.request("GET", path)
        latencies.append(time.perf_counter() - began)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {data[:300]!r}")
        size = len(data)
    latencies.sort()
    return {
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "bytes": size,
    }


def fan_out(port: int, clients: int, workflows: int, server: Server) -> dict:
    """`clients` streams of every workflow's start; the time from each start's answer to its
    event on every stream."""
    kinds = "&".join(f"kinds=LOG_EVENT_KIND_{kind}" for kind in ["WORKFLOW_STARTED", "WORKFLOW_COMPLETED", "WORKFLOW_FAILED", "FAILURE_NOTICE"])
    request = f"GET /api/v1/events?live_only=true&{kinds} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode()
    rss_before = server.rss_kib()
    selector = selectors.DefaultSelector()
    sockets = []
    for _ in range(clients):
        stream = socket.create_connection(("127.0.0.1", port))
        stream.sendall(request)
        stream.setblocking(False)
        selector.register(stream, selectors.EVENT_READ, bytearray())
        sockets.append(stream)
    seen: dict[str, list[float]] = {}
    answered: dict[str, float] = {}
    connected = threading.Event()
    done = threading.Event()

    def read():
        heads = 0
        while not done.is_set():
            for key, _ in selector.select(timeout=0.1):
                data = key.fileobj.recv(1 << 16)
                now = time.perf_counter()
                key.data.extend(data)
                if b"retry: 2000" in key.data:
                    heads += 1
                    if heads == clients:
                        connected.set()
                while b"\n" in key.data:
                    line, _, rest = bytes(key.data).partition(b"\n")
                    key.data[:] = rest
                    if line.startswith(b"data: {") and b"WORKFLOW_STARTED" in line:
                        workflow_id = json.loads(line[6:])["workflow_id"]
                        seen.setdefault(workflow_id, []).append(now)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not connected.wait(60):
        raise RuntimeError("the event streams did not all open")
    rss_open = server.rss_kib()
    client = Client(port)
    for _ in range(workflows):
        answer = client.json("POST", "/api/v1/workflows", {"type": "TEST", "params": {"steps": "0"}})
        answered[answer["workflow_id"]] = time.perf_counter()
        time.sleep(0.02)
    deadline = time.monotonic() + 60
    while any(len(seen.get(workflow_id, [])) < clients for workflow_id in answered) and time.monotonic() < deadline:
        time.sleep(0.05)
    done.set()
    reader.join()
    for stream in sockets:
        stream.close()
    delays = sorted(max(0.0, moment - answered[workflow_id]) for workflow_id, moments in seen.items() if workflow_id in answered for moment in moments)
    missing = clients * workflows - len(delays)
    last_per_workflow = sorted(max(seen[workflow_id]) - answered[workflow_id] for workflow_id in answered if workflow_id in seen)
    return {
        "delivered": len(delays),
        "missing": missing,
        "p50_ms": statistics.median(delays) * 1000 if delays else float("nan"),
        "p99_ms": delays[min(len(delays) - 1, int(len(delays) * 0.99))] * 1000 if delays else float("nan"),
        "all_reached_p50_ms": statistics.median(last_per_workflow) * 1000 if last_per_workflow else float("nan"),
        "rss_per_stream_kib": (rss_open - rss_before) / clients,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workflowd", required=True)
    parser.add_argument("--workflows", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--sse-clients", type=int, default=500)
    parser.add_argument("--sse-workflows", type=int, default=100)
    parser.add_argument("--tiny", action="store_true", help="a quick run that checks the harness works")
    parser.add_argument("--output")
    options = parser.parse_args()
    if options.tiny:
        options.workflows, options.steps, options.rounds, options.sse_clients, options.sse_workflows = 500, 2_000, 5, 20, 5

    server = Server(options.workflowd)
    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {1})  # the server has core 0
    try:
        client = Client(server.http_port)
        began = time.perf_counter()
        fill(server.http_port, options.workflows)
        fill_seconds = time.perf_counter() - began
        big = client.json("POST", "/api/v1/workflows", {
            "type": "TEST", "params": {"jobs": "1", "steps": str(options.steps), "step_delay_ms": "0"}, "summary": "the long one",
        })["workflow_id"]
        tree = wait_until_settled(client, big)
        as_of = int(tree["as_of_sequence"])
        middle = client.json("GET", f"/api/v1/workflows/{big}/steps?page_size=1&after_sequence={as_of - options.steps // 2}")["steps"][0]["sequence"]
        deep_token = client.json("GET", f"/api/v1/workflows?page_size=1000")["next_page_token"]
        rows = [
            ("console page (`/`)", "/"),
            ("list, first page of 50", "/api/v1/workflows?page_size=50"),
            ("list, page of 50 after 1,000", f"/api/v1/workflows?page_size=50&page_token={deep_token}"),
            ("list, FAILED only (1 in 100)", "/api/v1/workflows?statuses=WORKFLOW_STATUS_FAILED&page_size=50"),
            ("list, text in summary (one match: scans all)", f"/api/v1/workflows?summary_contains=GOLD-{options.workflows - 7}&page_size=50"),
            ("counts per type and status", "/api/v1/workflow-counts"),
            ("long workflow, tree without steps", f"/api/v1/workflows/{big}?omit_steps=true"),
            ("long workflow, newest 200 steps", f"/api/v1/workflows/{big}/steps?page_size=200"),
            ("long workflow, 200 steps from the middle", f"/api/v1/workflows/{big}/steps?page_size=200&before_sequence={middle}"),
            ("long workflow, ERROR steps (none: scans all)", f"/api/v1/workflows/{big}/steps?min_level=LOG_LEVEL_ERROR"),
        ]
        results = [(label, measure(client, path, options.rounds)) for label, path in rows]
        whole = measure(client, f"/api/v1/workflows/{big}", max(3, options.rounds // 20))
        results.append(("long workflow, whole (for contrast)", whole))
        console_way = results[6][1]["p50_ms"] + results[7][1]["p50_ms"]
        console_bytes = results[6][1]["bytes"] + results[7][1]["bytes"]
        sse = fan_out(server.http_port, options.sse_clients, options.sse_workflows, server)
        rss = server.rss_kib()
    finally:
        server.stop()

    lines = [
        f"Retained: {options.workflows:,} workflows (filled in {fill_seconds:.1f} s) + one of {options.steps:,} steps; "
        f"{options.rounds} sequential requests per row on one keep-alive connection; server RSS at the end {rss / 1024:.0f} MiB.",
        "",
        "| read | p50 (ms) | p99 (ms) | answer (bytes) |",
        "|---|---|---|---|",
        *[f"| {label} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['bytes']:,} |" for label, r in results],
        "",
        f"Opening the long workflow the console's way (tree without steps + newest 200 steps): {console_way:.2f} ms and "
        f"{console_bytes:,} bytes, against {whole['p50_ms']:.0f} ms and {whole['bytes']:,} bytes whole: "
        f"{whole['p50_ms'] / console_way:.0f}× faster, {whole['bytes'] / console_bytes:.0f}× less data.",
        "",
        f"Fan-out: {options.sse_clients} event streams watching every workflow's transitions, {options.sse_workflows} workflows "
        f"started 20 ms apart: {sse['delivered']:,} deliveries ({sse['missing']} missing), start answered → event on a stream "
        f"p50 {sse['p50_ms']:.1f} ms, p99 {sse['p99_ms']:.1f} ms; on all {options.sse_clients} streams p50 "
        f"{sse['all_reached_p50_ms']:.1f} ms; {sse['rss_per_stream_kib']:.1f} KiB of server memory per open stream.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if options.output:
        with open(options.output, "w") as output:
            output.write(text)
    return 1 if sse["missing"] else 0


if __name__ == "__main__":
    sys.exit(main())
