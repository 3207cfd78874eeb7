"""workflowd allocates with jemalloc, which it links (BENCHMARKS.md, "jemalloc"), set to give
the pages of blocks of 128 KiB and more back the moment they are freed, and says so."""

import os
import re

import grpc
import pytest

from conftest import Server
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc


def logged(server: Server, key: str) -> list[str]:
    return [match.group(1) for line in server.log for match in [re.search(rf"server\.{key}=(\S+)", line)] if match]


def test_the_server_runs_on_jemalloc_and_logs_it(tmp_path):
    server = Server(data_dir=str(tmp_path))
    try:
        # jemalloc counted an allocation the server made (linked alone would not say so).
        assert logged(server, "allocator") == ["jemalloc"], server.log
        # CJemallocSettings' option took effect (MemoryReclaimer.largeBlockSize), and the
        # allocator's purge works.
        assert logged(server, "allocator_large_block_bytes") == [str(128 << 10)], server.log
        assert logged(server, "allocator_purge") == ["ok"], server.log
        assert not logged(server, "hint"), server.log
        with open(f"/proc/{server.process.pid}/maps") as maps:
            assert re.search(r"/libjemalloc\.so", maps.read()), "libjemalloc is not mapped"
        with grpc.insecure_channel(server.address) as channel:
            stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
            started = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"jobs": "1", "steps": "1"}), timeout=10)
            assert stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id), timeout=10).id == started.workflow_id
    finally:
        assert "server.stopped" in server.stop()


@pytest.mark.parametrize("threshold, warned", [(1 << 20, True), (0, True), (64 << 10, False)])
def test_an_operators_malloc_conf_wins_with_a_warning_when_large_blocks_would_stay(threshold, warned, tmp_path):
    server = Server(data_dir=str(tmp_path), env={"MALLOC_CONF": f"oversize_threshold:{threshold}"})
    try:
        assert logged(server, "allocator_large_block_bytes")[0] == str(threshold), server.log
        assert any("server.allocator_keeps_large_blocks" in line for line in server.log) == warned, server.log
    finally:
        assert "server.stopped" in server.stop()


TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"


@pytest.mark.skipif(not os.path.exists(TCMALLOC), reason="libtcmalloc-minimal4 is not installed (Scripts/install-deps.sh --tests installs it)")
def test_an_allocator_preloaded_ahead_of_jemalloc_is_named_other_with_a_warning(tmp_path):
    """jemalloc is linked and answers its controls, but does not serve: the server must not
    claim it does."""
    server = Server(data_dir=str(tmp_path), env={"LD_PRELOAD": TCMALLOC})
    try:
        assert logged(server, "allocator") == ["other"], server.log
        assert logged(server, "allocator_large_block_bytes")[0] == "unknown", server.log
        assert any("server.allocator_keeps_large_blocks" in line for line in server.log), server.log
    finally:
        assert "server.stopped" in server.stop()
