"""End-to-end tests of workflowctl: the real binary against a real workflowd.

Covers start --follow (success and failure, exit codes, JSON lines), get, list, retry and
cancel, which commands take the shared options (--follow, --output, --json,
--reconnect-timeout) and how they are checked, usage and connection errors, watch resuming
exactly across dropped connections, across a server restart (a new, empty in-memory log) and
the clear error when a watched workflow is gone, and the live terminal view under a
pseudo-terminal.
"""

import fcntl
import json
import os
import pty
import re
import select
import socket
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path

import grpc
import pytest

from conftest import ROOT, Server, workflow_pb2 as pb, workflow_pb2_grpc

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
FAST = ["--param", "jobs=3", "--param", "steps=3", "--param", "step_delay_ms=5"]


def workflowctl_binary() -> Path:
    path = Path(os.environ.get("WORKFLOWCTL", ROOT / ".build/debug/workflowctl"))
    assert path.exists(), f"{path} does not exist: build it first (swift build) or set WORKFLOWCTL"
    return path


def clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("WORKFLOWCTL_ADDRESS", "NO_COLOR", "COLUMNS", "LINES")}
    env.update(extra)
    return env


def ctl(address: str, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(workflowctl_binary()), *args, "--address", address],
        capture_output=True, text=True, timeout=timeout, env=clean_env(**env),
    )


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def assert_clean(text: str) -> None:
    """No colour, no escape, no control character other than the line breaks."""
    assert not any(ord(c) < 0x20 and c != "\n" or 0x7F <= ord(c) <= 0x9F for c in text), repr(text[:200])


def server_events(address: str, **request) -> list:
    """Everything the server has for `request` (one workflow: until it ends)."""
    with grpc.insecure_channel(address) as channel:
        stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
        return list(stub.WatchLogs(pb.WatchLogsRequest(**request), timeout=30))


def all_server_events_through(address: str, last: int) -> list:
    """Every retained event of the server up to sequence `last` (an all-workflow watch never ends)."""
    events = []
    with grpc.insecure_channel(address) as channel:
        stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
        stream = stub.WatchLogs(pb.WatchLogsRequest(), timeout=30)
        for event in stream:
            events.append(event)
            if event.sequence >= last:
                stream.cancel()
                break
    return events


class Watcher:
    """A workflowctl process whose stdout lines are collected as they arrive."""

    def __init__(self, *args: str, **env: str):
        self.process = subprocess.Popen(
            [str(workflowctl_binary()), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=clean_env(**env),
        )
        self.lines: list[str] = []
        self.errors: list[str] = []
        self._threads = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.lines), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, self.errors), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @staticmethod
    def _read(stream, into):
        for line in stream:
            into.append(line)

    def events(self) -> list[dict]:
        return [json.loads(line) for line in list(self.lines)]

    def wait_for(self, predicate, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(predicate(event) for event in self.events()):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"watcher never printed the event; stderr: {''.join(self.errors)}")

    def finish(self, timeout: float = 30) -> int:
        code = self.process.wait(timeout=timeout)
        for thread in self._threads:
            thread.join(timeout=5)
        return code

    def stop(self) -> None:
        self.process.terminate()
        self.finish()


class DroppingProxy:
    """A TCP forwarder on 127.0.0.1 that can cut every connection, refuse new ones, and switch servers."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = 0
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._listener = None
        self.listen()

    def listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(source, destination):
        try:
            while data := source.recv(65536):
                destination.sendall(data)
        except OSError:
            pass
        for sock in (source, destination):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def drop(self) -> None:
        """Cuts every open connection (both directions)."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def refuse(self) -> None:
        """Stops listening: new connections are refused until listen()."""
        self._listener.close()
        self.drop()

    def close(self) -> None:
        self.refuse()


@pytest.fixture(scope="module")
def ctl_server():
    server = Server()
    yield server
    server.stop()


def start(address: str, **params) -> str:
    with grpc.insecure_channel(address) as channel:
        stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
        return stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={k: str(v) for k, v in params.items()})).workflow_id


# MARK: start --follow, get, list, retry, cancel


def test_start_follow_success_prints_one_json_object_per_event(ctl_server):
    result = ctl(ctl_server.address, "start", "TEST", *FAST, "--summary", "e2e ok", "--follow")
    assert result.returncode == 0, result.stderr
    assert_clean(result.stdout)
    events = json_lines(result.stdout)
    workflow_id = events[0]["workflow_id"]
    assert f"started TEST workflow {workflow_id}" in result.stderr
    assert events[0]["kind"] == "WORKFLOW_STARTED" and events[-1]["kind"] == "WORKFLOW_COMPLETED"
    assert events[-1]["workflow_status"] == "COMPLETED"
    assert events[-1]["stats"]["counters"]["itemsProcessed"] == 9
    steps = [e for e in events if e["kind"] == "STEP_LOGGED"]
    assert len(steps) == 9 and steps[0]["step"]["entity"]["tag"] == "ITEM-1-1"
    assert {"sequence", "timestamp_ms", "time", "kind", "level", "message", "workflow_id", "workflow_type"} <= events[0].keys()
    # Exactly the server's events for the workflow, in order.
    assert [e["sequence"] for e in events] == [e.sequence for e in server_events(ctl_server.address, workflow_id=workflow_id)]


def test_start_follow_failure_exits_1_and_says_where_and_how_to_retry(ctl_server):
    result = ctl(ctl_server.address, "start", "TEST", *FAST, "--param", "fail_job=2", "--follow")
    assert result.returncode == 1, result.stderr
    events = json_lines(result.stdout)
    assert events[-1]["kind"] == "WORKFLOW_FAILED" and events[-1]["error"] == "Simulated failure"
    notice = next(e for e in events if e["kind"] == "FAILURE_NOTICE")
    assert notice["job_name"] == "Process"
    workflow_id = events[-1]["workflow_id"]
    assert f"failed at Process: Simulated failure; to retry from the failed job: workflowctl retry {workflow_id}" in result.stderr


def test_start_prints_the_id_and_get_shows_the_tree(ctl_server):
    started = ctl(ctl_server.address, "start", "TEST", *FAST, "--param", "fail_job=2")
    assert started.returncode == 0 and re.fullmatch(r"wf-[0-9A-Z]{12}\n", started.stdout), started
    workflow_id = started.stdout.strip()
    assert ctl(ctl_server.address, "watch", workflow_id).returncode == 1

    tree = json.loads(ctl(ctl_server.address, "get", workflow_id, "--output", "json").stdout)
    assert tree["status"] == "FAILED" and tree["failed_job_name"] == "Process" and tree["error"] == "Simulated failure"
    assert [(j["name"], j["status"], j["step_count"]) for j in tree["jobs"]] == [
        ("Fetch", "COMPLETED", 3), ("Process", "FAILED", 2), ("Validate", "CANCELLED", 0)]
    assert [(a["attempt"], a["outcome"], a["error_code"], a["error"]) for a in tree["jobs"][1]["failed_attempts"]] == [
        (1, "FAILED", "SIMULATED", "Simulated failure")]

    text = ctl(ctl_server.address, "get", workflow_id)
    assert text.returncode == 0
    assert_clean(text.stdout)
    assert re.search(r"✓ Fetch\s+COMPLETED\s+\S+\s+3 steps\s+itemsProcessed=3", text.stdout), text.stdout
    assert "attempt 1 FAILED (SIMULATED): Simulated failure" in text.stdout
    assert "failed at Process: Simulated failure" in text.stdout
    assert f"workflowctl retry {workflow_id}" in text.stdout


def test_retry_and_cancel_follow_exit_with_the_outcome(ctl_server):
    failed = start(ctl_server.address, jobs=3, steps=2, step_delay_ms=5, fail_job=2)
    assert ctl(ctl_server.address, "watch", failed).returncode == 1
    retried = ctl(ctl_server.address, "retry", failed, "--follow")
    assert retried.returncode == 1, retried.stderr
    events = json_lines(retried.stdout)
    assert events[0]["kind"] == "WORKFLOW_RETRIED" and events[0]["attempt"] == 2
    assert events[-1]["kind"] == "WORKFLOW_FAILED"
    assert "retrying" in retried.stderr and "attempt 2" in retried.stderr

    long = start(ctl_server.address, jobs=2, steps=200, step_delay_ms=20)
    cancelled = ctl(ctl_server.address, "cancel", long, "--reason", "not needed", "--follow")
    assert cancelled.returncode == 2, cancelled.stderr
    assert json_lines(cancelled.stdout)[-1]["kind"] == "WORKFLOW_CANCELLED"
    again = ctl(ctl_server.address, "cancel", long)
    assert again.returncode == 3 and "FAILED_PRECONDITION" in again.stderr


def test_list_prints_workflows_newest_first(ctl_server):
    first = start(ctl_server.address, jobs=1, steps=1)
    second = start(ctl_server.address, jobs=1, steps=1)
    listed = json_lines(ctl(ctl_server.address, "list", "--json", "--limit", "2").stdout)
    assert [w["id"] for w in listed] == [second, first]
    table = ctl(ctl_server.address, "list", "--status", "failed").stdout
    assert table.startswith("STATUS") and "FAILED" in table and "RUNNING" not in table


# MARK: the options the commands share


SHARED_OPTIONS = {"--follow", "--output", "--json", "--reconnect-timeout"}
# Which of the shared options each command takes: --follow only where a command acts and may then
# watch, --reconnect-timeout wherever it may watch.
TAKES = {
    "start": SHARED_OPTIONS, "retry": SHARED_OPTIONS, "cancel": SHARED_OPTIONS,
    "watch": {"--output", "--json", "--reconnect-timeout"},
    "get": {"--output", "--json"}, "list": {"--output", "--json"},
    "upload": {"--output", "--json"}, "assets": {"--output", "--json"}, "download": set(),
}


def help_options(command: str) -> set[str]:
    result = subprocess.run([str(workflowctl_binary()), command, "--help"], capture_output=True, text=True, env=clean_env())
    assert result.returncode == 0, result.stderr
    return set(re.findall(r"^  (--[a-z-]+)", result.stdout, re.MULTILINE))


def test_each_command_takes_only_its_shared_options(ctl_server):
    for command, taken in TAKES.items():
        assert help_options(command) & SHARED_OPTIONS == taken, command
        for option in SHARED_OPTIONS - taken:
            value = [] if option in ("--follow", "--json") else ["1"]
            args = [command, *({"get": ["wf-x"], "retry": ["wf-x"], "cancel": ["wf-x"], "download": ["wf-x.a.pdf"], "upload": ["x"]}.get(command, [])),
                    option, *value]
            result = ctl(ctl_server.address, *args)
            assert result.returncode == 64 and f"Unknown option '{option}'" in result.stderr, (args, result.stderr)


def test_json_is_short_for_output_json_and_wins_over_output(ctl_server):
    workflow_id = start(ctl_server.address, jobs=1, steps=1)
    assert ctl(ctl_server.address, "watch", workflow_id, "--json").returncode == 0
    as_output = ctl(ctl_server.address, "get", workflow_id, "--output", "json")
    assert as_output.returncode == 0 and json.loads(as_output.stdout)["id"] == workflow_id
    assert ctl(ctl_server.address, "get", workflow_id, "--json").stdout == as_output.stdout
    assert ctl(ctl_server.address, "get", workflow_id, "--json", "--output", "text").stdout == as_output.stdout
    listed = ctl(ctl_server.address, "list", "--limit", "1", "--output", "json").stdout
    assert ctl(ctl_server.address, "list", "--limit", "1", "--json").stdout == listed
    started = json.loads(ctl(ctl_server.address, "start", "TEST", "--param", "jobs=1", "--json").stdout)
    assert started["status"] == "RUNNING" and started["workflow_id"].startswith("wf-")


def test_shared_options_are_checked_before_connecting():
    # Nothing listens on the address: every line below fails as a usage error before any connection.
    address = "127.0.0.1:1"
    for args in (["get", "wf-x", "--output", "live"], ["list", "--output", "live"], ["get", "wf-x", "--json", "--output", "live"]):
        result = ctl(address, *args)
        assert result.returncode == 64 and f"--output for {args[0]} is text or json" in result.stderr, (args, result.stderr)
    for command in (["start", "TEST"], ["retry", "wf-x"], ["cancel", "wf-x"], ["watch"], ["watch", "wf-x"]):
        for value in ("-1", "nan"):
            result = ctl(address, *command, f"--reconnect-timeout={value}")
            assert result.returncode == 64 and "--reconnect-timeout must not be negative" in result.stderr, (command, result.stderr)
    for command in (["get", "wf-x"], ["watch"]):
        for option in ("--timeout", "--reconnect-timeout"):
            if option == "--reconnect-timeout" and command[0] == "get":
                continue
            for value in ("inf", "1e300"):
                result = ctl(address, *command, option, value)
                assert result.returncode == 64 and f"{option} must be at most" in result.stderr, (command, result.stderr)
    # Without --follow, start takes --reconnect-timeout and does not watch.
    assert ctl(address, "start", "TEST", "--reconnect-timeout", "0").returncode == 4


# MARK: exit codes and messages


def test_usage_errors_exit_64(ctl_server):
    for args in (["start", "TEST", "--param", "jobs"], ["start"], ["watch", "--level", "loud"], ["get", "x", "--bogus"],
                 ["retry", "wf-x", "--reconnect-timeout=-1"], ["cancel", "wf-x", "--reconnect-timeout=-1"],
                 ["watch", "--reconnect-timeout=-1"]):
        result = ctl(ctl_server.address, *args)
        assert result.returncode == 64, (args, result.stderr)
    bad_address = subprocess.run([str(workflowctl_binary()), "get", "x", "--address", "nohost:99999"],
                                 capture_output=True, text=True, env=clean_env())
    assert bad_address.returncode == 64 and "port must be a number from 1 to 65535" in bad_address.stderr


def test_server_errors_exit_3_with_one_line(ctl_server):
    missing = ctl(ctl_server.address, "get", "wf-00000000NOPE")
    assert missing.returncode == 3
    assert missing.stderr.count("\n") == 1 and "NOT_FOUND" in missing.stderr and "check the id" in missing.stderr
    unknown_type = ctl(ctl_server.address, "start", "NO_SUCH_TYPE")
    assert unknown_type.returncode == 3 and "INVALID_ARGUMENT" in unknown_type.stderr
    ahead = ctl(ctl_server.address, "watch", "--after", "999999999")
    assert ahead.returncode == 3 and "OUT_OF_RANGE" in ahead.stderr and "--after" in ahead.stderr


def test_unreachable_server_exits_4_and_says_what_to_do():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = ctl(f"127.0.0.1:{port}", "watch")
    assert result.returncode == 4
    assert result.stderr.startswith(f"workflowctl: workflowd is not reachable at 127.0.0.1:{port}")
    assert "Scripts/run.sh" in result.stderr and result.stderr.count("\n") == 1


def test_address_comes_from_the_environment(ctl_server):
    result = subprocess.run([str(workflowctl_binary()), "list", "--limit", "1"], capture_output=True, text=True,
                            env=clean_env(WORKFLOWCTL_ADDRESS=ctl_server.address))
    assert result.returncode == 0 and result.stdout.startswith("STATUS"), result.stderr


def test_watch_filters_by_level_and_kind(ctl_server):
    workflow_id = start(ctl_server.address, jobs=3, steps=3, step_delay_ms=1, fail_job=2)
    errors = json_lines(ctl(ctl_server.address, "watch", workflow_id, "--level", "error").stdout)
    assert {e["level"] for e in errors} == {"ERROR"} and errors[-1]["kind"] == "WORKFLOW_FAILED"
    steps = ctl(ctl_server.address, "watch", workflow_id, "--kind", "step_logged", "--job", "Fetch")
    assert steps.returncode == 1
    assert [e["step"]["entity"]["tag"] for e in json_lines(steps.stdout)] == ["ITEM-1-1", "ITEM-1-2", "ITEM-1-3"]


# MARK: resuming across lost connections and restarts


def test_watching_one_workflow_resumes_exactly_after_dropped_connections(ctl_server):
    proxy = DroppingProxy(ctl_server.port)
    try:
        workflow_id = start(ctl_server.address, jobs=3, steps=25, step_delay_ms=20)
        watcher = Watcher("watch", workflow_id, "--address", f"127.0.0.1:{proxy.port}")
        for _ in range(3):
            watcher.wait_for(lambda e: True)
            time.sleep(0.4)
            proxy.drop()
        assert watcher.finish(timeout=60) == 0, "".join(watcher.errors)
        printed = [e["sequence"] for e in watcher.events()]
        expected = [e.sequence for e in server_events(ctl_server.address, workflow_id=workflow_id)]
        assert printed == expected
        errors = "".join(watcher.errors)
        assert errors.count("lost the connection") == 3 and errors.count("reconnected to") == 3, errors
    finally:
        proxy.close()


def test_watching_all_workflows_resumes_exactly_after_dropped_connections():
    server = Server()
    proxy = DroppingProxy(server.port)
    try:
        watcher = Watcher("watch", "--address", f"127.0.0.1:{proxy.port}")
        workflow_id = start(server.address, jobs=2, steps=30, step_delay_ms=15)
        for _ in range(2):
            time.sleep(0.3)
            proxy.drop()
        watcher.wait_for(lambda e: e["workflow_id"] == workflow_id and e["kind"] == "WORKFLOW_COMPLETED")
        watcher.stop()
        printed = [e["sequence"] for e in watcher.events()]
        assert printed == [e.sequence for e in all_server_events_through(server.address, printed[-1])]
        assert "".join(watcher.errors).count("reconnected to") == 2
    finally:
        proxy.close()
        server.stop()


def assert_resumed_over_new_log(watcher: Watcher, new_address: str) -> None:
    """Old-log events, then every event of the new log once, with one restart notice."""
    sequences = [e["sequence"] for e in watcher.events()]
    cut = next(i for i in range(1, len(sequences)) if sequences[i] <= sequences[i - 1])
    old, new = sequences[:cut], sequences[cut:]
    assert old == sorted(set(old)) and new == sorted(set(new)), sequences
    assert new == [e.sequence for e in all_server_events_through(new_address, new[-1])]
    errors = "".join(watcher.errors)
    assert errors.count("restarted with a new event log") == 1, errors
    assert "lost the connection" in errors and "reconnected to" in errors


def test_watching_all_survives_a_server_restart_at_the_same_address():
    first = Server()
    watcher = Watcher("watch", "--address", first.address)
    try:
        old_workflow = start(first.address, jobs=3, steps=20, step_delay_ms=1)
        watcher.wait_for(lambda e: e["workflow_id"] == old_workflow and e["kind"] == "WORKFLOW_COMPLETED")
        first.stop()
        second = Server("--port", str(first.port))
        try:
            # The new log is shorter than what was printed: WatchLogs answers OUT_OF_RANGE.
            new_workflow = start(second.address, jobs=1, steps=2, step_delay_ms=1)
            watcher.wait_for(lambda e: e["workflow_id"] == new_workflow and e["kind"] == "WORKFLOW_COMPLETED")
            watcher.stop()
            assert_resumed_over_new_log(watcher, second.address)
        finally:
            second.stop()
    finally:
        if watcher.process.poll() is None:
            watcher.stop()


def test_watching_all_notices_a_restarted_log_that_already_passed_the_old_position():
    first = Server()
    proxy = DroppingProxy(first.port)
    watcher = Watcher("watch", "--address", f"127.0.0.1:{proxy.port}")
    second = None
    try:
        old_workflow = start(first.address, jobs=1, steps=1, step_delay_ms=1)
        watcher.wait_for(lambda e: e["workflow_id"] == old_workflow and e["kind"] == "WORKFLOW_COMPLETED")
        proxy.refuse()
        first.stop()
        second = Server()
        # Before the watcher is back, the new log outgrows the old position: the same sequence
        # number now names another event, which the overlap check detects.
        new_workflow = start(second.address, jobs=3, steps=10, step_delay_ms=1)
        server_events(second.address, workflow_id=new_workflow)
        proxy.target_port = second.port
        proxy.listen()
        watcher.wait_for(lambda e: e["workflow_id"] == new_workflow and e["kind"] == "WORKFLOW_COMPLETED")
        watcher.stop()
        assert_resumed_over_new_log(watcher, second.address)
    finally:
        if watcher.process.poll() is None:
            watcher.stop()
        proxy.close()
        if second:
            second.stop()


def test_watching_a_workflow_the_restarted_server_forgot_fails_clearly():
    first = Server()
    workflow_id = start(first.address, jobs=1, steps=500, step_delay_ms=20)
    watcher = Watcher("watch", workflow_id, "--address", first.address)
    try:
        watcher.wait_for(lambda e: e["kind"] == "STEP_LOGGED")
        first.process.kill()
        first.process.wait()
        second = Server("--port", str(first.port))
        try:
            assert watcher.finish() == 3
            errors = "".join(watcher.errors)
            assert f"workflow {workflow_id} is gone from workflowd at {first.address} after a reconnect" in errors
            assert "restarted and lost its in-memory state" in errors
        finally:
            second.stop()
    finally:
        if watcher.process.poll() is None:
            watcher.stop()


def test_a_watch_gives_up_when_the_server_stays_down():
    server = Server()
    watcher = Watcher("watch", "--address", server.address, "--reconnect-timeout", "1")
    start(server.address, jobs=1, steps=1)
    watcher.wait_for(lambda e: e["kind"] == "WORKFLOW_COMPLETED")
    server.process.kill()
    server.process.wait()
    assert watcher.finish() == 4
    errors = "".join(watcher.errors)
    assert "could not reconnect within 1.00s" in errors and "--after" in errors


# MARK: the live view on a terminal


def run_in_terminal(args: list[str], columns: int = 110, rows: int = 40, **env: str) -> tuple[int, str]:
    """Runs workflowctl on a pseudo-terminal of the given size; returns the exit code and raw output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    process = subprocess.Popen([str(workflowctl_binary()), *args], stdin=slave, stdout=slave, stderr=slave,
                               env=clean_env(TERM="xterm-256color", **env), close_fds=True)
    os.close(slave)
    output = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    os.close(master)
    return process.wait(timeout=10), output.decode("utf-8", errors="replace")


def final_frame(raw: str) -> str:
    """The text of the last redraw (after the last cursor-up), escapes removed."""
    last = max(raw.rfind("\x1b[" + match) for match in re.findall(r"\d+A", raw)) if re.search(r"\x1b\[\d+A", raw) else 0
    return ANSI.sub("", raw[last:]).replace("\r", "")


def test_the_live_view_shows_jobs_progress_and_the_final_state(ctl_server):
    code, raw = run_in_terminal(["start", "TEST", "--param", "jobs=3", "--param", "steps=4", "--param", "step_delay_ms=60",
                                 "--summary", "pty run", "--follow", "--address", ctl_server.address])
    assert code == 0, raw
    assert "\x1b[32m" in raw and re.search(r"\x1b\[\d+A", raw), "expected colour and in-place redraws"
    screen = ANSI.sub("", raw)
    assert re.search(r"RUNNING\s+TEST wf-", screen) and re.search(r"Process\s+\[█*░+\]\s+\d+%", screen)
    frame = final_frame(raw)
    for job in ("Fetch", "Process", "Validate"):
        assert re.search(rf"✓ {job}\s+\[█+\] 100%", frame), frame
    assert "COMPLETED  TEST wf-" in frame and "pty run" in frame
    assert re.search(r"\[ITEM-3-4\] Processed item 4 of 4", frame)
    assert "✓ completed in" in frame and "itemsProcessed=12" in frame


def test_the_live_view_says_where_a_workflow_failed_and_how_to_retry(ctl_server):
    code, raw = run_in_terminal(["start", "TEST", "--param", "jobs=3", "--param", "steps=4", "--param", "step_delay_ms=20",
                                 "--param", "fail_job=2", "--follow", "--address", ctl_server.address])
    assert code == 1, raw
    frame = final_frame(raw)
    assert "✗ failed at Process: Simulated failure" in frame
    assert re.search(r"to retry from the failed job: workflowctl retry wf-[0-9A-Z]{12}", frame)
    assert re.search(r"ERROR Process \[ITEM-2-3\] Failed to process item 3 of 4", frame)
    assert "⊘ Validate  cancelled" in frame


def test_no_color_turns_colour_off_on_a_terminal(ctl_server):
    code, raw = run_in_terminal(["start", "TEST", *FAST, "--follow", "--address", ctl_server.address], NO_COLOR="1")
    assert code == 0
    assert not re.search(r"\x1b\[[0-9;]*m", raw), "no SGR colour codes with NO_COLOR"
    assert "✓ completed in" in final_frame(raw)


# MARK: upload, download, assets


def test_upload_import_export_and_download_with_workflowctl_alone(tmp_path):
    """The remote walkthrough with the command line: no file path crosses to the server."""
    server = Server("--store", "memory")
    try:
        address = server.address
        uploaded = ctl(address, "upload", str(ROOT / "Samples/assets.csv"))
        assert uploaded.returncode == 0, uploaded.stderr
        file_id = uploaded.stdout.strip()
        assert re.fullmatch(r"f-[0-9A-Z]{26}", file_id) and "stored assets.csv: 756 bytes" in uploaded.stderr
        described = json.loads(ctl(address, "upload", str(ROOT / "Samples/rules.conf"), "--name", "plant.conf", "--json").stdout)
        assert described["name"] == "plant.conf" and described["content_type"] == "text/plain" and len(described["sha256"]) == 64

        imported = ctl(address, "start", "IMPORT_ASSETS", "--param", f"file_id={file_id}", "--follow")
        assert imported.returncode == 0, imported.stderr
        assert json_lines(imported.stdout)[-1]["kind"] == "WORKFLOW_COMPLETED"
        rules = ctl(address, "start", "RULE_EXECUTION", "--param", f"file_id={described['file_id']}", "--follow")
        assert rules.returncode == 0, rules.stderr
        export = ctl(address, "start", "EXPORT_PACKAGE", "--json")
        workflow_id = json.loads(export.stdout)["workflow_id"]
        assert ctl(address, "watch", workflow_id, "--json").returncode == 0

        tree = ctl(address, "get", workflow_id).stdout
        assert f"artifact {workflow_id}.assets.xlsx" in tree and "result  assets=12" in tree
        saved = ctl(address, "download", workflow_id, "--to", str(tmp_path))
        assert saved.returncode == 0, saved.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["assets.json", "assets.pdf", "assets.xlsx"]
        assert len(saved.stdout.splitlines()) == 3
        single = ctl(address, "download", f"{workflow_id}.assets.pdf", "--to", str(tmp_path / "report.pdf"))
        assert single.returncode == 0 and (tmp_path / "report.pdf").read_bytes() == (tmp_path / "assets.pdf").read_bytes()
        snapshot = json.loads((tmp_path / "assets.json").read_text())

        listed = ctl(address, "assets", "--type", "Pump")
        assert listed.returncode == 0 and listed.stdout.splitlines()[0].split() == ["TAG", "ID", "TYPE", "NAME", "LINKS", "FLAGS"]
        assert {line.split()[0] for line in listed.stdout.splitlines()[1:]} == {a["tag"] for a in snapshot if a["type"] == "Pump"}
        as_json = [json.loads(line) for line in ctl(address, "assets", "--json").stdout.splitlines()]
        assert sorted(a["tag"] for a in as_json) == sorted(a["tag"] for a in snapshot)
        one = ctl(address, "assets", "P-103")
        assert one.returncode == 0 and "flag pump-needs-motor" in one.stdout
        by_id = ctl(address, "assets", next(a["id"] for a in as_json if a["tag"] == "P-103"))
        assert by_id.stdout == one.stdout

        missing = ctl(address, "download", f"{workflow_id}.nothing.pdf", "--to", str(tmp_path))
        assert missing.returncode == 3 and "NOT_FOUND" in missing.stderr
        assert ctl(address, "assets", "X-999").returncode == 3
        unreadable = ctl(address, "upload", str(tmp_path / "no-such-file.csv"))
        assert unreadable.returncode == 64 and "cannot read" in unreadable.stderr
        several = ctl(address, "download", f"{workflow_id}.assets.pdf", f"{workflow_id}.assets.xlsx", "--to", str(tmp_path / "report.pdf"))
        assert several.returncode == 64 and "--to must be an existing directory" in several.stderr
    finally:
        server.stop()
