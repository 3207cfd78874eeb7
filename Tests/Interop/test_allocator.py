"""workflowd allocates with jemalloc, which it links (BENCHMARKS.md, "jemalloc"), set to give
the pages of blocks of 128 KiB and more back the moment they are freed, and says so."""

import re

import grpc

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


def test_an_operators_malloc_conf_wins_with_a_warning(tmp_path):
    server = Server(data_dir=str(tmp_path), env={"MALLOC_CONF": "oversize_threshold:1048576"})
    try:
        assert logged(server, "allocator_large_block_bytes") == [str(1 << 20)] * 2, server.log
        assert any("server.allocator_keeps_large_blocks" in line for line in server.log), server.log
    finally:
        assert "server.stopped" in server.stop()
