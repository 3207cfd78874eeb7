#!/usr/bin/env python3
"""Side-by-side benchmarks of workflowd and the C++ gRPC reference server (issue 7).

Run through Scripts/bench.sh, which builds everything first. Each server runs pinned to one core
and every load generator to another (taskset); each scenario is repeated and reported as the
median with min-max. The result is a Markdown table (stdout and --output).

Scenarios, per server:
  unary      h2load -c 4 -m 32 of StartWorkflow and GetWorkflow: requests/s and the server's CPU
             time per call (utime + stime from /proc/<pid>/stat, before and after)
  unpinned   the same load with nothing pinned: server and h2load may use every core (workflowd
             with its default of one event loop per core, and again with --event-loops 1 to
             show what more loops cost per call)
  latency    h2load -c 1 -m 1 with a per-request log: p50 and p99
  tls        the unary load over TLS (both servers with the same P-256 certificate; h2load over
             TLS 1.3 with ALPN h2), and 500 new TLS connections with one GetWorkflow each: the
             handshakes' server CPU
  distinct   bench_client starts 4,096 finished workflows, then unary_load (libnghttp2, one
             thread, as h2load) reads them round-robin with GetWorkflow (-c 4, 32 in flight
             each): no read finds an encoding a recent read left in a cache. gRPC C++'s client
             ran out of its core at about 55,000 calls/s, below what the servers answer
  watch      bench_client reads a finished 100,000-event workflow over WatchLogs
  fanout     1,000 WatchLogs streams x 100 live events: time and the server's peak RSS
  idle       10,000 open idle WatchLogs streams: the server's RSS
and in process (workflowd's engine only): log_step cost and log_step -> watcher latency.
--scenarios picks some of them by name (unary_and_latency, unpinned, tls, distinct, watch, fanout,
idle, in_process).

Every call's grpc-status is checked: h2load checks only HTTP 200, so each server counts the
status it gave every call and logs the counts at shutdown (server.calls_by_status=...); the
driver requires exactly the calls it made, all OK (stream scenarios: OK or CANCELLED, since the
client cancels watches of all workflows).
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

SERVER_CORE = "0"
# A one-core machine can still run --tiny (both on core 0); Scripts/bench.sh refuses real runs.
CLIENT_CORE = "1" if (os.cpu_count() or 1) > 1 else "0"


@dataclass
class Sizes:
    """How much work each scenario does; --tiny shrinks it for CI."""
    unary_requests: int = 100_000
    latency_requests: int = 20_000
    watch_steps: int = 49_998          # 1 job: 2 x steps + 4 events = 100,000
    fanout_streams: int = 1_000
    fanout_connections: int = 10
    fanout_steps: int = 48             # 100 events per stream
    idle_streams: int = 10_000
    idle_connections: int = 100
    distinct_workflows: int = 4_096
    log_steps: int = 1_000_000
    latency_steps: int = 5_000
    codec_iterations: int = 200_000
    tls_connections: int = 500

    @staticmethod
    def tiny():
        return Sizes(unary_requests=2_000, latency_requests=200, distinct_workflows=200, watch_steps=998, fanout_streams=50,
                     fanout_connections=2, idle_streams=200, idle_connections=2, log_steps=10_000,
                     latency_steps=200, codec_iterations=2_000, tls_connections=20)


@dataclass
class Server:
    """A server process pinned to SERVER_CORE, with its log and the calls the driver made to it."""
    name: str
    command: list
    pinned: bool = True
    process: subprocess.Popen = None
    log_path: str = ""
    port: int = 0
    expected_ok: int = 0
    max_cancelled: int = 0
    tls_authorities: str = ""  # the CA file clients trust when the server speaks TLS

    def start(self, workdir):
        fd, self.log_path = tempfile.mkstemp(prefix=f"{self.name}-", suffix=".log", dir=workdir)
        pinning = ["taskset", "-c", SERVER_CORE] if self.pinned else []
        self.process = subprocess.Popen([*pinning, *self.command],
                                        stdout=fd, stderr=subprocess.STDOUT, cwd=workdir)
        os.close(fd)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            match = re.search(r"server\.port=(\d+)", read(self.log_path))
            if match:
                self.port = int(match.group(1))
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start: {read(self.log_path)[-2000:]}")

    @property
    def target(self):
        return f"127.0.0.1:{self.port}"

    def url(self, path):
        return f"{'https' if self.tls_authorities else 'http'}://{self.target}{path}"

    def cpu_seconds(self):
        fields = read(f"/proc/{self.process.pid}/stat").rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_kib(self, key):
        match = re.search(rf"^{key}:\s+(\d+) kB", read(f"/proc/{self.process.pid}/status"), re.M)
        return int(match.group(1))

    def stop(self):
        """SIGTERM, wait, and check every call's grpc-status against what the driver made."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise RuntimeError(f"{self.name} did not exit after SIGTERM")
        match = re.search(r"server\.calls_by_status=([A-Z_=0-9 ]*)", read(self.log_path))
        counts = dict(item.split("=") for item in match.group(1).split()) if match else {}
        counts = {code: int(count) for code, count in counts.items()}
        ok = counts.pop("OK", 0)
        # Streams the client cancelled: CANCELLED, or UNAVAILABLE if the server ended them at
        # shutdown before it noticed the reset (or nothing at all, as workflowd does).
        cancelled = counts.pop("CANCELLED", 0) + counts.pop("UNAVAILABLE", 0)
        if counts or ok != self.expected_ok or cancelled > self.max_cancelled:
            raise RuntimeError(f"{self.name}: expected {self.expected_ok} calls with grpc-status OK and at most "
                               f"{self.max_cancelled} CANCELLED, the server counted OK={ok} CANCELLED={cancelled} "
                               f"{counts}")


def read(path):
    with open(path, errors="replace") as file:
        return file.read()


class Harness:
    def __init__(self, args):
        self.args = args
        self.sizes = Sizes.tiny() if args.tiny else Sizes()
        self.workdir = tempfile.mkdtemp(prefix="workflow-bench-")
        self.client = os.path.join(args.reference_dir, "bench_client")
        self.unary_load = os.path.join(args.reference_dir, "unary_load")
        self.results = {}  # (scenario, server) -> [values]
        self.load_before = os.getloadavg()
        self.started = []  # every server process, to end them if a scenario fails
        self.paths = method_paths(args.workflow_bench)

    # MARK: servers

    def servers(self):
        commands = {
            "workflowd": [self.args.workflowd, "--port", "0", "--http-port", "0", "--store", "memory"],
            "workflowd-sqlite": [self.args.workflowd, "--port", "0", "--http-port", "0",
                                 "--data-dir", os.path.join(self.workdir, "data")],
            "reference": [os.path.join(self.args.reference_dir, "reference_server"), "--port", "0"],
        }
        return [(name, commands[name]) for name in self.args.servers]

    def fresh(self, name, command, pinned=True, tls=False):
        if name == "workflowd-sqlite":
            subprocess.run(["rm", "-rf", os.path.join(self.workdir, "data")], check=True)
        server = Server(name, command, pinned)
        if tls:
            certificate, key, server.tls_authorities = self.tls_files()
            server.command = [*command, "--tls-cert", certificate, "--tls-key", key]
        self.started.append(server)
        return server.start(self.workdir)

    def kill_leftovers(self):
        """Ends the servers a failed scenario left running."""
        for server in self.started:
            if server.process and server.process.poll() is None:
                server.process.kill()
                server.process.wait()

    # MARK: clients

    def tls_files(self):
        """A certificate authority and a server certificate for 127.0.0.1 (P-256), made once per
        run: (certificate, key, authority)."""
        folder = os.path.join(self.workdir, "tls")
        if not os.path.isdir(folder):
            os.makedirs(folder)
            def openssl(*arguments):
                subprocess.run(["openssl", *arguments], cwd=folder, check=True, capture_output=True)
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=bench CA", "-keyout", "ca.key", "-out", "ca.crt")
            openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-keyout", "server.key", "-out", "server.csr")
            with open(os.path.join(folder, "server.ext"), "w") as extensions:
                extensions.write("subjectAltName=IP:127.0.0.1\n")
            openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                    "-days", "2", "-extfile", "server.ext", "-out", "server.crt")
        return tuple(os.path.join(folder, name) for name in ("server.crt", "server.key", "ca.crt"))

    def bench_client(self, server, *arguments, calls=1):
        output = run(["taskset", "-c", CLIENT_CORE, self.client, *arguments], timeout=600,
                     environment={"BENCH_TLS_CA": server.tls_authorities})
        server.expected_ok += calls
        return key_values(output)

    def finished_workflow(self, server, **params):
        params.setdefault("step_delay_ms", "0")
        started = self.bench_client(server, "start", server.target, *[f"{k}={v}" for k, v in params.items()])
        workflow_id = started["workflow_id"]
        self.bench_client(server, "wait", server.target, workflow_id)
        return workflow_id

    def h2load(self, server, method, body, requests, clients, streams, log_file=None, pinned=True):
        pinning = ["taskset", "-c", CLIENT_CORE] if pinned else []
        command = [*pinning, "h2load", "-n", str(requests), "-c", str(clients),
                   "-m", str(streams), "-d", body, "-H", "content-type: application/grpc",
                   "-H", "te: trailers", server.url(self.paths[method])]
        if log_file:
            command[len(pinning) + 1:len(pinning) + 1] = ["--log-file", log_file]
        output = run(command, timeout=600)
        succeeded = int(re.search(r"(\d+) succeeded", output).group(1))
        if succeeded != requests:
            raise RuntimeError(f"h2load {method} on {server.name}: {succeeded} of {requests} succeeded\n{output}")
        server.expected_ok += requests
        return float(re.search(r"finished in [0-9.]+m?s, ([0-9.]+) req/s", output).group(1))

    # MARK: scenarios

    def record(self, scenario, server, value):
        self.results.setdefault((scenario, server), []).append(value)

    def unary_bodies(self, server):
        """The h2load request bodies of the unary scenarios: GetWorkflow of a finished 3 × 3
        workflow on `server`, and StartWorkflow of a 1 × 1 one."""
        get_body = os.path.join(self.workdir, "get.grpc")
        start_body = os.path.join(self.workdir, "start.grpc")
        workflow_id = self.finished_workflow(server, jobs="3", steps="3")
        run([self.client, "encode-get", get_body, workflow_id])
        run([self.client, "encode-start", start_body, "jobs=1", "steps=1", "step_delay_ms=0"])
        return (("GetWorkflow", get_body), ("StartWorkflow", start_body))

    def unary_and_latency(self, name, command):
        server = self.fresh(name, command)
        for method, body in self.unary_bodies(server):
            # Latency first, on a server that is not still finishing the throughput run's work.
            log_file = os.path.join(self.workdir, "latency.log")
            self.h2load(server, method, body, self.sizes.latency_requests, 1, 1, log_file=log_file)
            latencies = sorted(int(line.split()[2]) for line in read(log_file).splitlines() if line.strip())
            self.record(f"{method} latency p50 at c=1 (µs)", name, percentile(latencies, 50))
            self.record(f"{method} latency p99 at c=1 (µs)", name, percentile(latencies, 99))
            time.sleep(0.5)
            before = server.cpu_seconds()
            rate = self.h2load(server, method, body, self.sizes.unary_requests, 4, 32)
            time.sleep(0.5)  # the workflows StartWorkflow started finish within this
            cpu = server.cpu_seconds() - before
            self.record(f"{method} throughput (req/s)", name, rate)
            self.record(f"{method} server CPU per call (µs)", name, cpu / self.sizes.unary_requests * 1e6)
        server.stop()

    def tls(self, name, command):
        """The unary load over TLS, and the CPU of new TLS connections."""
        server = self.fresh(name, command, tls=True)
        for method, body in self.unary_bodies(server):
            time.sleep(0.5)
            before = server.cpu_seconds()
            rate = self.h2load(server, method, body, self.sizes.unary_requests, 4, 32)
            time.sleep(0.5)
            cpu = server.cpu_seconds() - before
            self.record(f"{method} over TLS: throughput (req/s)", name, rate)
            self.record(f"{method} over TLS: server CPU per call (µs)", name, cpu / self.sizes.unary_requests * 1e6)
            if method == "GetWorkflow":
                connections = self.sizes.tls_connections
                before = server.cpu_seconds()
                self.h2load(server, method, body, connections, connections, 1)
                time.sleep(0.5)
                cpu = server.cpu_seconds() - before
                self.record(f"new TLS connection with one GetWorkflow ({connections:,} at once): server CPU per connection (µs)",
                            name, cpu / connections * 1e6)
        server.stop()

    def unpinned(self, name, command):
        """StartWorkflow and GetWorkflow under the unary load with nothing pinned; workflowd
        also with one event loop, for the cost per call of more loops."""
        variants = [(name, command, "")]
        if name == "workflowd":
            variants.append((name, [*command, "--event-loops", "1"], ", one event loop"))
        for server_name, server_command, label in variants:
            server = self.fresh(server_name, server_command, pinned=False)
            for method, body in self.unary_bodies(server):
                time.sleep(0.5)
                before = server.cpu_seconds()
                rate = self.h2load(server, method, body, self.sizes.unary_requests, 4, 32, pinned=False)
                time.sleep(0.5)
                cpu = server.cpu_seconds() - before
                scenario = f"{method} unpinned (both cores{label})"
                if not label:
                    self.record(f"{scenario}: throughput (req/s)", server_name, rate)
                self.record(f"{scenario}: server CPU per call (µs)", server_name, cpu / self.sizes.unary_requests * 1e6)
            server.stop()

    def distinct(self, name, command):
        server = self.fresh(name, command)
        size = self.sizes
        bodies = os.path.join(self.workdir, f"distinct-{name}.grpc")
        self.bench_client(server, "prepare-distinct", server.target, bodies, "--workflows", str(size.distinct_workflows),
                          calls=0)
        time.sleep(0.5)
        connections = 4
        client = subprocess.Popen(["taskset", "-c", CLIENT_CORE, self.unary_load, server.target,
                                   self.paths["GetWorkflow"], bodies, "--calls", str(size.unary_requests),
                                   "--connections", str(connections), "--in-flight", "32"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready = client.stdout.readline()
        before = server.cpu_seconds()
        rest, errors = client.communicate(timeout=600)
        cpu = server.cpu_seconds() - before
        if client.returncode != 0 or not ready.startswith("ready="):
            raise RuntimeError(f"unary_load GetWorkflow on {name} failed: {ready}{rest}{errors.strip()[-2000:]}")
        result = key_values(rest)
        # Its StartWorkflows, two watches, one warm-up GetWorkflow per connection, then the reads.
        server.expected_ok += size.distinct_workflows + 2 + connections + size.unary_requests
        self.record("GetWorkflow of distinct workflows (no cache hits): throughput (req/s)", name,
                    float(result["calls_per_second"]))
        self.record("GetWorkflow of distinct workflows (no cache hits): server CPU per call (µs)", name,
                    cpu / size.unary_requests * 1e6)
        server.stop()

    def watch(self, name, command):
        server = self.fresh(name, command)
        workflow_id = self.finished_workflow(server, jobs="1", steps=str(self.sizes.watch_steps))
        before = server.cpu_seconds()
        result = self.bench_client(server, "watch", server.target, workflow_id)
        cpu = server.cpu_seconds() - before
        expected = 2 * self.sizes.watch_steps + 4
        if int(result["events"]) != expected:
            raise RuntimeError(f"watch on {name}: {result['events']} events, expected {expected}")
        self.record(f"WatchLogs {expected:,}-event replay (events/s)", name, float(result["events_per_second"]))
        self.record(f"WatchLogs {expected:,}-event replay: server CPU per event (ns)", name, cpu / expected * 1e9)
        server.stop()

    def fanout(self, name, command):
        server = self.fresh(name, command)
        size = self.sizes
        # The client cancels its watches of all workflows at the end: a server may count those
        # CANCELLED (or not count them, as workflowd does for a reset it answers with nothing).
        server.max_cancelled = size.fanout_streams
        before = server.cpu_seconds()
        result = self.bench_client(server, "fanout", server.target, "--streams", str(size.fanout_streams),
                                   "--connections", str(size.fanout_connections), "--steps", str(size.fanout_steps),
                                   calls=0)
        cpu = server.cpu_seconds() - before
        # OK calls: each sentinel's StartWorkflow, the measured one, and the client's replay of it.
        server.expected_ok += int(result["sentinels"]) + 2
        time.sleep(1)  # lets the server see the client's resets before it is stopped
        label = f"{size.fanout_streams:,} streams × {result['events_per_stream']} live events"
        self.record(f"fan-out {label}: time (ms)", name, float(result["seconds"]) * 1000)
        self.record(f"fan-out {label}: server CPU, opening the streams included (ms)", name, cpu * 1000)
        self.record(f"fan-out {label}: server peak RSS (MiB)", name, server.memory_kib("VmHWM") / 1024)
        server.stop()

    def idle(self, name, command):
        server = self.fresh(name, command)
        size = self.sizes
        server.max_cancelled = size.idle_streams
        time.sleep(0.5)
        baseline = server.memory_kib("VmRSS")
        client = subprocess.Popen(["taskset", "-c", CLIENT_CORE, self.client, "idle", server.target,
                                   "--streams", str(size.idle_streams), "--connections", str(size.idle_connections),
                                   "--hold-seconds", "4"], stdout=subprocess.PIPE, text=True)
        ready = {}
        for line in client.stdout:
            if line.startswith("ready="):
                ready = key_values(line)
                break
        time.sleep(2)
        rss = server.memory_kib("VmRSS")
        rest = client.stdout.read()
        if client.wait(timeout=120) != 0 or "still_open=" not in rest:
            raise RuntimeError(f"idle client on {name} failed: {rest}")
        server.expected_ok += int(ready["sentinels"])
        time.sleep(1)  # lets the server see the client's resets before it is stopped
        self.record(f"{size.idle_streams:,} idle WatchLogs streams: server RSS (MiB)", name, rss / 1024)
        self.record(f"{size.idle_streams:,} idle WatchLogs streams: RSS per stream (KiB)", name,
                    (rss - baseline) / size.idle_streams)
        server.stop()

    def in_process(self):
        for store in ("memory", "sqlite"):
            output = run(["taskset", "-c", SERVER_CORE, self.args.workflow_bench, "--store", store,
                          "--steps", str(self.sizes.log_steps), "--latency-steps", str(self.sizes.latency_steps),
                          "--codec-iterations", str(self.sizes.codec_iterations)],
                         timeout=600)
            values = key_values(output)
            name = "workflowd" if store == "memory" else "workflowd-sqlite"
            self.record("log_step: caller's cost (ns/call)", name, float(values["log_step.caller_ns"]))
            self.record("log_step: recorded, all threads (ns/step)", name, float(values["log_step.recorded_ns"]))
            self.record("log_step: allocations per call", name, float(values["log_step.allocations_per_call"]))
            self.record("log_step → watcher p50 (µs)", name, float(values["step_to_watcher.p50_us"]))
            self.record("log_step → watcher p99 (µs)", name, float(values["step_to_watcher.p99_us"]))
            if store == "memory":  # the codec does not depend on the store
                for message, label in (("log_event", "LogEvent (a step event)"), ("workflow", "Workflow (3 jobs, 9 steps)")):
                    for operation in ("encode", "decode"):
                        key = f"codec.{message}.{operation}"
                        self.record(f"{label} {operation} (ns)", name, float(values[f"{key}_ns"]))
                        self.record(f"{label} {operation}: allocations", name, float(values[f"{key}_allocations"]))

    SCENARIOS = ("unary_and_latency", "unpinned", "tls", "distinct", "watch", "fanout", "idle", "in_process")

    def scenarios(self):
        """The server scenarios --scenarios names, in the table's order."""
        unknown = set(self.args.scenarios) - set(self.SCENARIOS)
        if unknown:
            raise SystemExit(f"bench: unknown scenarios {sorted(unknown)}; known: {', '.join(self.SCENARIOS)}")
        return [getattr(self, name) for name in self.SCENARIOS if name in self.args.scenarios and name != "in_process"]

    def run(self):
        load_before = self.load_before
        servers = self.servers()
        for index in range(self.args.runs):
            # Alternate the order so neither server always runs first.
            ordered = servers if index % 2 == 0 else list(reversed(servers))
            for scenario in self.scenarios():
                for name, command in ordered:
                    log(f"run {index + 1}/{self.args.runs}: {scenario.__name__} on {name}")
                    scenario(name, command)
            if "workflowd" in self.args.servers and "in_process" in self.args.scenarios:
                log(f"run {index + 1}/{self.args.runs}: in process")
                self.in_process()
        return load_before, os.getloadavg()


# MARK: report

# The targets. Ratios are workflowd ÷ reference: (words the measure's name contains,
# "higher" or "lower" is better, the ratio wanted).
RATIO_TARGETS = [
    (("unpinned", "throughput"), "higher", 1.0),
    (("unpinned", "CPU per call"), "lower", None),
    (("throughput",), "higher", 2.0),
    (("server CPU per call",), "lower", 0.5),
    (("latency p99",), "lower", 0.5),
    (("WatchLogs", "(events/s)"), "higher", 2.0),
    (("fan-out", "time"), "lower", 0.5),
]
# Absolute limits for workflowd alone: (words, the most allowed).
ABSOLUTE_TARGETS = [
    (("log_step: caller's cost",), 1000.0),
    (("log_step → watcher p99",), 1000.0),
]


def target_for(scenario, targets):
    return next((target[1:] for target in targets if all(word in scenario for word in target[0])), None)


def describe(values):
    if not values:
        return "—"
    median = statistics.median(values)
    text = number(median)
    if len(values) > 1:
        text += f" ({number(min(values))}–{number(max(values))})"
    return text


def number(value):
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def report(harness, loads):
    names = list(harness.args.servers)
    names += [name for _, name in harness.results if name not in names]
    names = list(dict.fromkeys(names))
    scenarios = list(dict.fromkeys(scenario for scenario, _ in harness.results))
    has_reference = "reference" in names
    header = ["measure"] + names + (["workflowd ÷ reference", "target"] if has_reference else ["target"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for scenario in scenarios:
        row = [scenario] + [describe(harness.results.get((scenario, name), [])) for name in names]
        ours = harness.results.get((scenario, "workflowd"), [])
        theirs = harness.results.get((scenario, "reference"), [])
        target = target_for(scenario, RATIO_TARGETS)
        limit = target_for(scenario, ABSOLUTE_TARGETS)
        # No ratio without both figures, or against a zero (CPU below one 10 ms tick in a tiny run).
        ratio = None
        if ours and theirs and statistics.median(theirs) > 0:
            ratio = statistics.median(ours) / statistics.median(theirs)
        if has_reference:
            row.append(f"{ratio:.2f}×" if ratio is not None else "—")
        if target and target[1] is None:
            row.append("")
        elif target and ratio is not None:
            direction, wanted = target
            met = ratio >= wanted if direction == "higher" else ratio <= wanted
            row.append(f"{'≥' if direction == 'higher' else '≤'} {wanted}× {'✅' if met else '❌'}")
        elif limit and ours:
            (limit,) = limit
            met = statistics.median(ours) <= limit
            row.append(f"≤ {number(limit)} {'✅' if met else '❌'}")
        else:
            row.append("")
        lines.append("| " + " | ".join(row) + " |")
    machine = machine_notes(loads)
    return "\n".join(machine + [""] + lines) + "\n"


def machine_notes(loads):
    cpu = re.search(r"model name\s*:\s*(.*)", read("/proc/cpuinfo"))
    uname = os.uname()
    return [
        f"- Machine: {os.cpu_count()} cores ({cpu.group(1) if cpu else 'unknown CPU'}), "
        f"{uname.sysname} {uname.release}; servers on core {SERVER_CORE}, load generators on core {CLIENT_CORE} "
        "(the unpinned rows: all on every core).",
        f"- Load average before {loads[0][0]:.2f}, after {loads[1][0]:.2f} (1-minute).",
        "- Each cell: median (min–max) of the runs; ratios compare medians.",
    ]


# MARK: helpers

def method_paths(workflow_bench):
    """`{method name: HTTP/2 :path}` of every WorkflowService method, as the generated
    descriptors in workflow-bench give them (the system python3 that runs this file has no
    protobuf package). A misspelt method name is a KeyError in the answer."""
    prefix = "path."
    return {key[len(prefix):]: value for key, value in key_values(run([workflow_bench, "--method-paths"])).items()
            if key.startswith(prefix)}


def percentile(sorted_values, percent):
    rank = max(1, -(-len(sorted_values) * percent // 100))
    return float(sorted_values[rank - 1])


def key_values(output):
    """The `key=value` words of a tool's output."""
    return dict(word.split("=", 1) for word in output.split() if "=" in word)


def run(command, timeout=60, environment=None):
    env = {**os.environ, **environment} if environment else None
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}: {result.stderr.strip()[-2000:]}")
    return result.stdout


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workflowd", required=True)
    parser.add_argument("--workflow-bench", required=True)
    parser.add_argument("--reference-dir", required=True, help="where bench_client and reference_server are")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenarios", default=",".join(Harness.SCENARIOS), type=lambda text: text.split(","),
                        help="comma-separated subset of: " + ", ".join(Harness.SCENARIOS))
    parser.add_argument("--servers", default="workflowd,reference",
                        help="comma-separated: workflowd, workflowd-sqlite, reference")
    parser.add_argument("--tiny", action="store_true", help="a small run that only checks everything works")
    parser.add_argument("--output", help="also write the table here")
    args = parser.parse_args()
    args.servers = args.servers.split(",")
    args.workflowd = os.path.abspath(args.workflowd)
    args.workflow_bench = os.path.abspath(args.workflow_bench)
    args.reference_dir = os.path.abspath(args.reference_dir)
    harness = Harness(args)
    try:
        loads = harness.run()
    except BaseException:
        harness.kill_leftovers()
        log("failed; the figures measured so far:")
        print(report(harness, (harness.load_before, os.getloadavg())))
        raise
    table = report(harness, loads)
    print(table)
    if args.output:
        with open(args.output, "w") as file:
            file.write(table)


if __name__ == "__main__":
    main()
