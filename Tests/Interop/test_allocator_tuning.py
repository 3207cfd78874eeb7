"""workflowd restarts itself once with glibc's per-thread allocation cache enlarged, keeping its
process ID, name, arguments and output, leaves an operator's own setting alone, and never
restarts twice."""

import glob
import re

import grpc
import pytest

from conftest import Server, workflowd_binary
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc

OURS = "glibc.malloc.tcache_count=64"


def logged(server: Server, key: str) -> str:
    for line in server.log:
        match = re.search(rf"server\.{key}=(\S*)", line)
        if match:
            return match.group(1)
    raise AssertionError(f"no server.{key} in the log:\n" + "".join(server.log))


def initial_environment(server: Server) -> set[str]:
    """The strings the process was executed with, split at NULs, at colons and after
    `GLIBC_TUNABLES=` (glibc may overwrite the colons between tunables with NULs as it reads
    them), so each tunable is one of them."""
    with open(f"/proc/{server.process.pid}/environ", "rb") as environ:
        return set(re.split(r"[\0:]|GLIBC_TUNABLES=", environ.read().decode()))


def serves_a_workflow(server: Server) -> None:
    with grpc.insecure_channel(server.address) as channel:
        stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
        started = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"jobs": "1", "steps": "1"}), timeout=10)
        assert stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id), timeout=10).id == started.workflow_id


def logs_and_serves(server: Server, tuning: str, tunables: str) -> None:
    """Checks the allocator tuning `server` logged and that it serves, then stops it."""
    try:
        assert logged(server, "allocator_tuning") == tuning
        assert logged(server, "glibc_tunables") == tunables
        serves_a_workflow(server)
    finally:
        server.stop()


@pytest.mark.parametrize("given, expected", [
    ("", OURS),
    ("glibc.malloc.arena_max=2", "glibc.malloc.arena_max=2:" + OURS),
    ("glibc.malloc.tcache_count", "glibc.malloc.tcache_count:" + OURS),
])
def test_restarts_once_with_the_cache_enlarged(given, expected, tmp_path):
    server = Server(data_dir=str(tmp_path), env={"GLIBC_TUNABLES": given})
    try:
        assert logged(server, "allocator_tuning") == "restarted"
        assert logged(server, "glibc_tunables") == expected
        # The process Popen started is the one serving, executed with our setting: the
        # restart kept its ID.
        assert OURS in initial_environment(server)
        # Its name too (`ps`, `pgrep`): the restart executed the program's file, not /proc/self/exe.
        with open(f"/proc/{server.process.pid}/comm") as comm:
            assert comm.read().strip() == workflowd_binary().name[:15]
        # Its arguments too: the data directory is the one given.
        assert any(f"store.path={tmp_path}/workflows.sqlite" in line for line in server.log), server.log
        serves_a_workflow(server)
    finally:
        # And it stops gracefully on SIGTERM, as any workflowd does.
        assert "server.stopped" in server.stop()


def test_an_operators_own_cache_size_wins(tmp_path):
    server = Server(data_dir=str(tmp_path), env={"GLIBC_TUNABLES": "glibc.malloc.tcache_count=7"})
    environment = initial_environment(server)
    logs_and_serves(server, "operator", "glibc.malloc.tcache_count=7")
    assert OURS not in environment


def test_a_restarted_process_never_restarts_again(tmp_path):
    """As when glibc drops or rewrites the tunable before the restarted process reads it: the
    marker the restart sets, not the tunable, ends the restarts."""
    server = Server(data_dir=str(tmp_path), env={"GLIBC_TUNABLES": "", "WORKFLOWD_ALLOCATOR_RESTARTED": "1"})
    logs_and_serves(server, "restarted", "")


def test_started_through_the_dynamic_loader_it_runs_untuned(tmp_path):
    """/proc/self/exe is then the loader: executing it with workflowd's arguments would fail."""
    loaders = sorted(glob.glob("/lib64/ld-linux-*.so.*") + glob.glob("/lib/ld-linux-*.so.*"))
    if not loaders:
        pytest.skip("no dynamic loader at /lib64 or /lib")
    server = Server(data_dir=str(tmp_path), env={"GLIBC_TUNABLES": ""}, launcher=(loaders[0],))
    logs_and_serves(server, "program_unknown", "")
