"""workflowd restarts itself once with glibc's per-thread allocation cache enlarged, keeping its
process ID, arguments and output, and leaves an operator's own GLIBC_TUNABLES value alone."""

import re

import grpc
import pytest

from conftest import Server
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc

OURS = "glibc.malloc.tcache_count=64"


def logged_tunables(server: Server) -> str:
    for line in server.log:
        match = re.search(r"server\.glibc_tunables=(\S*)", line)
        if match:
            return match.group(1)
    raise AssertionError("no server.glibc_tunables line:\n" + "".join(server.log))


def initial_environment_entries(server: Server) -> list[str]:
    """The NUL-separated strings the process was exec'd with (glibc overwrites the colons
    between tunables with NULs as it reads them, so each tunable may be an entry of its own)."""
    with open(f"/proc/{server.process.pid}/environ", "rb") as environ:
        return environ.read().decode().split("\0")


def serves_a_workflow(server: Server) -> None:
    with grpc.insecure_channel(server.address) as channel:
        stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
        started = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"jobs": "1", "steps": "1"}), timeout=10)
        assert stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id), timeout=10).id == started.workflow_id


@pytest.mark.parametrize("given, expected", [
    ("", OURS),
    ("glibc.malloc.arena_max=2", "glibc.malloc.arena_max=2:" + OURS),
])
def test_restarts_once_with_the_cache_enlarged(given, expected, tmp_path):
    server = Server(data_dir=str(tmp_path), env={"GLIBC_TUNABLES": given})
    try:
        assert logged_tunables(server) == expected
        entries = initial_environment_entries(server)
        # The process Popen started is the one serving: the restart kept its ID.
        assert OURS in entries or "GLIBC_TUNABLES=" + OURS in entries, entries
        # Its name too (`ps`, `pgrep`): the restart executed the program's file, not /proc/self/exe.
        with open(f"/proc/{server.process.pid}/comm") as comm:
            assert comm.read().strip() == "workflowd"
        # Its arguments too: the data directory is the one given.
        assert any(f"store.path={tmp_path}/workflows.sqlite" in line for line in server.log), server.log
        # Once: the start-up lines are not repeated by a second restart.
        assert sum("server.glibc_tunables=" in line for line in server.log) == 1
        serves_a_workflow(server)
    finally:
        server.stop()


def test_an_operators_own_cache_size_wins(tmp_path):
    server = Server(data_dir=str(tmp_path), env={"GLIBC_TUNABLES": "glibc.malloc.tcache_count=7"})
    try:
        assert logged_tunables(server) == "glibc.malloc.tcache_count=7"
        assert "GLIBC_TUNABLES=glibc.malloc.tcache_count=7" in initial_environment_entries(server)
        serves_a_workflow(server)
    finally:
        server.stop()
