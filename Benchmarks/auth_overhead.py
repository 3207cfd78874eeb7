#!/usr/bin/env python3
"""What authenticating callers costs per call: workflowd with --auth off, tokens and jwt.

    .venv/bin/python Benchmarks/auth_overhead.py --workflowd .build/release/workflowd --runs 5

(the venv of Scripts/test.sh: grpcio, PyJWT and the workflow_worker package's stubs). Each run
starts a fresh workflowd (memory store, so the store's work does not hide the difference)
pinned to core 0 for every mode in turn, finishes one TEST workflow of 3 jobs × 3 steps, then
h2load on core 1 sends -n GetWorkflow calls of it (the encoding is cached: the cheapest call,
where authentication weighs most) and -n StartWorkflow calls of 1 × 1 workflows, 4 connections
× 32 streams, each with `authorization: Bearer <token>` (none for off). It prints, per mode and
method, the median (min–max) of req/s and of the server's CPU time per call (utime + stime from
/proc/PID/stat around the h2load run), and each mode's CPU per call against off's.

Modes: off; tokens (a file of 1,000 hashed tokens, the caller's among them: SHA-256 of the token
on every call); jwt-hs256 and jwt-es256 (a verified token is cached until it expires, so a call
costs a dictionary lookup; the first pays the signature).
"""
import argparse
import hashlib
import os
import re
import secrets
import signal
import statistics
import struct
import subprocess
import tempfile
import time

import grpc
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from workflow_worker.protos import workflow_pb2, workflow_pb2_grpc

SERVER_CORE, CLIENT_CORE = "0", "1"
MODES = ("off", "tokens", "jwt-hs256", "jwt-es256")


class Server:
    """workflowd in one auth mode, on core 0, with a token that may start and read."""

    def __init__(self, binary, mode, folder):
        self.token = ""
        arguments = ["--auth", "off"]
        if mode == "tokens":
            self.token = secrets.token_hex(32)
            lines = [f"{hashlib.sha256(secrets.token_hex(32).encode()).hexdigest()} user-{n} user" for n in range(999)]
            lines.append(f"{hashlib.sha256(self.token.encode()).hexdigest()} bench operator")
            path = os.path.join(folder, "tokens.txt")
            with open(path, "w") as file:
                file.write("\n".join(lines) + "\n")
            arguments = ["--auth", "tokens", "--auth-tokens", path]
        elif mode.startswith("jwt"):
            claims = {"sub": "bench", "roles": ["operator"], "aud": "workflowd", "exp": int(time.time()) + 3600}
            if mode == "jwt-hs256":
                secret = secrets.token_hex(32)
                path = os.path.join(folder, "secret")
                with open(path, "w") as file:
                    file.write(secret)
                self.token = jwt.encode(claims, secret, algorithm="HS256")
                arguments = ["--auth", "jwt", "--jwt-secret-file", path]
            else:
                key = ec.generate_private_key(ec.SECP256R1())
                path = os.path.join(folder, "keys.pem")
                with open(path, "wb") as file:
                    file.write(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
                self.token = jwt.encode(claims, key, algorithm="ES256")
                arguments = ["--auth", "jwt", "--jwt-public-keys", path]
        self.log = open(os.path.join(folder, f"{mode}.log"), "w")
        self.process = subprocess.Popen(
            ["taskset", "-c", SERVER_CORE, binary, "--host", "127.0.0.1", "--port", "0", "--http-port", "off",
             "--store", "memory", "--event-loops", "1", *arguments],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.port = self.wait_for_port(os.path.join(folder, f"{mode}.log"))

    @staticmethod
    def wait_for_port(log):
        deadline = time.time() + 30
        while time.time() < deadline:
            match = re.search(r"server\.port=(\d+)", open(log).read())
            if match:
                return int(match.group(1))
            time.sleep(0.05)
        raise RuntimeError(f"workflowd did not start: {open(log).read()}")

    @property
    def metadata(self):
        return [("authorization", f"Bearer {self.token}")] if self.token else []

    def cpu_seconds(self):
        fields = open(f"/proc/{self.process.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()


def framed(message):
    body = message.SerializeToString()
    return struct.pack(">BI", 0, len(body)) + body


def h2load(server, path, body_file, requests):
    command = ["taskset", "-c", CLIENT_CORE, "h2load", "-n", str(requests), "-c", "4", "-m", "32", "-d", body_file,
               "-H", "content-type: application/grpc", "-H", "te: trailers"]
    for name, value in server.metadata:
        command += ["-H", f"{name}: {value}"]
    before = server.cpu_seconds()
    output = subprocess.run([*command, f"http://127.0.0.1:{server.port}{path}"], capture_output=True, text=True, check=True).stdout
    time.sleep(0.3)  # started workflows finish
    cpu = server.cpu_seconds() - before
    succeeded = int(re.search(r"(\d+) succeeded", output).group(1))
    if succeeded != requests:
        raise RuntimeError(f"{succeeded} of {requests} succeeded:\n{output}")
    return float(re.search(r"([0-9.]+) req/s", output).group(1)), cpu / requests * 1e6


def measure(binary, mode, folder, requests):
    server = Server(binary, mode, folder)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
            params = {"jobs": "3", "steps": "3", "step_delay_ms": "0"}
            started = stub.StartWorkflow(workflow_pb2.StartWorkflowRequest(type="TEST", params=params), metadata=server.metadata)
            for _ in stub.WatchLogs(workflow_pb2.WatchLogsRequest(workflow_id=started.workflow_id), metadata=server.metadata):
                pass
        get_file, start_file = os.path.join(folder, "get.grpc"), os.path.join(folder, "start.grpc")
        with open(get_file, "wb") as file:
            file.write(framed(workflow_pb2.GetWorkflowRequest(workflow_id=started.workflow_id)))
        with open(start_file, "wb") as file:
            file.write(framed(workflow_pb2.StartWorkflowRequest(type="TEST", params={"jobs": "1", "steps": "1", "step_delay_ms": "0"})))
        h2load(server, "/workflow.v1.WorkflowService/GetWorkflow", get_file, requests // 10)  # warm-up
        return {
            "GetWorkflow": h2load(server, "/workflow.v1.WorkflowService/GetWorkflow", get_file, requests),
            "StartWorkflow": h2load(server, "/workflow.v1.WorkflowService/StartWorkflow", start_file, requests),
        }
    finally:
        server.stop()


def summary(values, digits=0):
    middle = statistics.median(values)
    return f"{middle:,.{digits}f} ({min(values):,.{digits}f}–{max(values):,.{digits}f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflowd", default=".build/release/workflowd")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=100_000)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for run in range(args.runs):
            for mode in (MODES if run % 2 == 0 else tuple(reversed(MODES))):
                for method, (rate, cpu) in measure(args.workflowd, mode, folder, args.requests).items():
                    results.setdefault((mode, method), []).append((rate, cpu))
    print("| mode | method | req/s | server CPU per call (µs) | CPU vs off |")
    print("|---|---|---|---|---|")
    for method in ("GetWorkflow", "StartWorkflow"):
        baseline = statistics.median(cpu for _, cpu in results[("off", method)])
        for mode in MODES:
            rates = [rate for rate, _ in results[(mode, method)]]
            cpus = [cpu for _, cpu in results[(mode, method)]]
            print(f"| {mode} | {method} | {summary(rates)} | {summary(cpus, 1)} | {statistics.median(cpus) / baseline:.2f}× |")


if __name__ == "__main__":
    main()
