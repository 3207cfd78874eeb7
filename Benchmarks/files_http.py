#!/usr/bin/env python3
"""Data in and out over the API: uploads streamed through the HTTP side port (throughput, the
server's CPU per MiB and how much its memory grows), and the product workflows at scale on
uploaded input: IMPORT_ASSETS of a generated CSV (every asset stored in the same transaction as
its step), EXPORT_PACKAGE of the registry it built, and the download of its artifacts, with the
SQLite store and, for contrast, the memory store.

Usage: Benchmarks/files_http.py --workflowd .build/release/workflowd [--tiny] [--output F]
Standard library only; the server runs pinned to core 0 (when taskset exists), this script on
core 1.
"""
import argparse
import hashlib
import http.client
import json
import os
import threading
import time
from urllib.parse import urlencode

import console_http

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Server(console_http.Server):
    """console_http's server, allowed uploads of up to 8 GiB, with the calls this script makes."""

    def __init__(self, binary: str, *extra: str):
        super().__init__(binary, "--max-upload-size", str(8 << 30), *extra, prefix="files-bench-")

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def request(self, method: str, path: str, body=None, headers=None, chunked=False):
        connection = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=600)
        try:
            connection.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def json(self, method: str, path: str, body=None):
        status, data = self.request(method, path, None if body is None else json.dumps(body).encode())
        assert status in (200, 201), (status, data[:300])
        return json.loads(data)

    def wait(self, workflow_id: str) -> dict:
        while True:
            workflow = self.json("GET", f"/api/v1/workflows/{workflow_id}?omit_steps=true")
            if workflow["status"] != "WORKFLOW_STATUS_RUNNING":
                assert workflow["status"] == "WORKFLOW_STATUS_COMPLETED", workflow.get("error")
                return workflow
            time.sleep(0.02)


class PeakRSS:
    """Samples a server's RSS every 10 ms while in use."""

    def __init__(self, server: Server):
        self.server, self.peak, self.running = server, 0, True
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self):
        while self.running:
            self.peak = max(self.peak, self.server.rss_kib())
            time.sleep(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.running = False
        self.thread.join()


def upload(server: Server, size: int, chunk: int = 1 << 20) -> dict:
    block = os.urandom(chunk)
    digest = hashlib.sha256()
    for _ in range(size // chunk):
        digest.update(block)
    query = urlencode({"name": "blob.bin", "sha256": digest.hexdigest()})
    before_rss, before_cpu = server.rss_kib(), server.cpu_seconds()
    started = time.perf_counter()
    with PeakRSS(server) as peak:
        status, data = server.request("POST", f"/api/v1/files?{query}", body=(block for _ in range(size // chunk)),
                                      headers={"Content-Type": "application/octet-stream"}, chunked=True)
    elapsed = time.perf_counter() - started
    assert status == 201, data[:300]
    mib = size / (1 << 20)
    return {"MiB": mib, "seconds": elapsed, "MiB/s": mib / elapsed, "cpu_ms_per_MiB": 1000 * (server.cpu_seconds() - before_cpu) / mib,
            "rss_growth_MiB": (peak.peak - before_rss) / 1024}


def csv_rows(count: int) -> bytes:
    kinds = ["Pump", "Motor", "Valve", "Tank", "Sensor"]
    lines = ["tag,type,name,location,power_kw"]
    for number in range(1, count + 1):
        kind = kinds[number % len(kinds)]
        lines.append(f"{kind[0]}-{number:06d},{kind},{kind} {number},Area {number % 50},{number % 90 + 1}")
    return ("\n".join(lines) + "\n").encode()


def product_run(server: Server, rows: int) -> dict:
    content = csv_rows(rows)
    query = urlencode({"name": "plant.csv", "sha256": hashlib.sha256(content).hexdigest()})
    status, data = server.request("POST", f"/api/v1/files?{query}", body=content, headers={"Content-Type": "text/csv"})
    assert status == 201, data[:300]
    file_id = json.loads(data)["file_id"]
    params = {"file_id": file_id, "detail_limit": str(rows), "batch_size": "500"}
    started = time.perf_counter()
    imported = server.wait(server.json("POST", "/api/v1/workflows", {"type": "IMPORT_ASSETS", "params": params})["workflow_id"])
    import_seconds = time.perf_counter() - started
    assert imported["result"]["assets_created"] == str(rows), imported["result"]
    save = imported["jobs"][3]
    started = time.perf_counter()
    exported = server.wait(server.json("POST", "/api/v1/workflows", {"type": "EXPORT_PACKAGE"})["workflow_id"])
    export_seconds = time.perf_counter() - started
    started = time.perf_counter()
    downloaded = 0
    for artifact in exported["artifacts"]:
        status, body = server.request("GET", f"/api/v1/artifacts/{artifact['id']}")
        assert status == 200 and hashlib.sha256(body).hexdigest() == artifact["sha256"]
        downloaded += len(body)
    download_seconds = time.perf_counter() - started
    return {
        "rows": rows, "import_s": import_seconds, "save_ms": int(save["stats"]["duration_ms"]),
        "rows_per_s": rows / import_seconds, "export_s": export_seconds, "artifact_MiB": downloaded / (1 << 20),
        "download_MiB_per_s": downloaded / (1 << 20) / download_seconds,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workflowd", required=True)
    parser.add_argument("--tiny", action="store_true", help="a quick run that checks the harness works")
    parser.add_argument("--output")
    options = parser.parse_args()
    upload_sizes = [4 << 20] if options.tiny else [100 << 20, 1 << 30]
    rows = 500 if options.tiny else 20_000

    lines = ["| upload over HTTP | MiB/s | server CPU ms per MiB | server RSS growth |", "|---|---|---|---|"]
    server = Server(options.workflowd)
    try:
        for size in upload_sizes:
            result = upload(server, size)
            lines.append(f"| {result['MiB']:.0f} MiB | {result['MiB/s']:.0f} | {result['cpu_ms_per_MiB']:.1f} | {result['rss_growth_MiB']:.1f} MiB |")
    finally:
        server.stop()
    lines += ["", "| store | rows | IMPORT_ASSETS | of which Save | rows/s | EXPORT_PACKAGE | artifacts | download |",
              "|---|---|---|---|---|---|---|---|"]
    for label, extra in [("sqlite", ()), ("memory", ("--store", "memory"))]:
        server = Server(options.workflowd, *extra)
        try:
            result = product_run(server, rows)
        finally:
            server.stop()
        lines.append(
            f"| {label} | {rows:,} | {result['import_s']:.2f} s | {result['save_ms']} ms | {result['rows_per_s']:,.0f} | "
            f"{result['export_s']:.2f} s | {result['artifact_MiB']:.1f} MiB | {result['download_MiB_per_s']:.0f} MiB/s |"
        )
    text = "\n".join(lines)
    print(text)
    if options.output:
        with open(options.output, "w") as output:
            output.write(text + "\n")


if __name__ == "__main__":
    main()
