"""`workflow_worker.files` against the real workflowd: uploads from a path, bytes and chunks,
refusals, and downloads of an export's artifacts into a path or a file object, resumed from a
`.part` file; and `IntegrityError` on a stream that does not match its artifact (no server)."""

from __future__ import annotations

import hashlib
import io

import grpc
import pytest

from conftest import REPOSITORY, Api, Workflowd
from workflow_worker.files import IntegrityError, download_artifact, download_file, upload_file
from workflow_worker.protos import workflow_pb2 as pb

ASSETS = REPOSITORY / "Samples/assets.csv"


@pytest.fixture(scope="module")
def export(templates):
    """A server of the module's own (its registry gets the sample assets) and a finished
    EXPORT_PACKAGE of them."""
    server = Workflowd(templates)
    api = Api(server.address)
    try:
        uploaded = upload_file(api.workflows, ASSETS, timeout=10)
        imported = api.wait_ended(api.start("IMPORT_ASSETS", file_id=uploaded.file_id))
        assert imported.status == pb.WORKFLOW_STATUS_COMPLETED, imported
        exported = api.wait_ended(api.start("EXPORT_PACKAGE"))
        assert exported.status == pb.WORKFLOW_STATUS_COMPLETED, exported
        yield api, uploaded, imported, exported
    finally:
        api.close()
        server.remove()


def artifact(workflow, name):
    [found] = [a for a in workflow.artifacts if a.name == name]
    return found


def test_upload_from_a_path(export):
    _, uploaded, imported, _ = export
    content = ASSETS.read_bytes()
    assert uploaded.file_id.startswith("f-") and uploaded.name == "assets.csv"
    assert uploaded.content_type == "text/csv"                            # guessed from the name
    assert (uploaded.size_bytes, uploaded.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert uploaded.expires_at_ms > uploaded.created_at_ms
    assert dict(imported.result)["assets_created"] == "10"


def test_upload_from_bytes_and_from_chunks(export):
    api = export[0]
    content = "tag,type,name\nP-900,Pump,Pump 900\n".encode()
    from_bytes = upload_file(api.workflows, content, name="one.csv", chunk_size=7, timeout=10)
    assert (from_bytes.size_bytes, from_bytes.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    chunks = (content[i:i + 5] for i in range(0, len(content), 5))
    from_chunks = upload_file(api.workflows, chunks, name="two.bin", sha256=hashlib.sha256(content).hexdigest(),
                              content_type="text/csv", timeout=10)
    assert (from_chunks.size_bytes, from_chunks.sha256, from_chunks.content_type) == (
        len(content), from_bytes.sha256, "text/csv")
    assert from_chunks.file_id != from_bytes.file_id


def test_upload_refusals(export):
    api = export[0]
    with pytest.raises(ValueError, match="name"):
        upload_file(api.workflows, b"x")
    with pytest.raises(ValueError, match="sha256"):
        upload_file(api.workflows, iter([b"x"]), name="x.bin")
    with pytest.raises(ValueError, match="chunk_size"):
        upload_file(api.workflows, b"x", name="x.bin", chunk_size=0)
    with pytest.raises(grpc.RpcError) as refused:
        upload_file(api.workflows, iter([b"x"]), name="x.bin", sha256=hashlib.sha256(b"y").hexdigest(), timeout=10)
    assert refused.value.code() == grpc.StatusCode.DATA_LOSS
    with pytest.raises(grpc.RpcError) as refused:
        upload_file(api.workflows, b"x", name="a/b.bin", timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_download_into_a_path_and_a_file_object(export, tmp_path):
    api, _, _, exported = export
    for name in ("assets.xlsx", "assets.pdf", "assets.json"):
        expected = artifact(exported, name)
        target = tmp_path / name
        got = download_artifact(api.workflows, expected.id, target, timeout=10)
        assert got == expected
        assert target.stat().st_size == expected.size_bytes
        assert hashlib.sha256(target.read_bytes()).hexdigest() == expected.sha256
        assert not (tmp_path / (name + ".part")).exists()
        buffer = io.BytesIO()
        assert download_artifact(api.workflows, expected.id, buffer, timeout=10) == expected
        assert buffer.getvalue() == target.read_bytes()
    assert dict(exported.result)["xlsx_artifact_id"] == artifact(exported, "assets.xlsx").id


@pytest.mark.parametrize("left_behind", ["prefix", "garbage", "too_long"])
def test_a_part_file_is_resumed_or_replaced(export, tmp_path, left_behind):
    api, _, _, exported = export
    expected = artifact(exported, "assets.pdf")
    whole = io.BytesIO()
    download_artifact(api.workflows, expected.id, whole, timeout=10)
    content = whole.getvalue()
    target = tmp_path / "report.pdf"
    part = tmp_path / "report.pdf.part"
    part.write_bytes({
        "prefix": content[: len(content) // 3],                 # a cut-off download: resumed
        "garbage": b"\0" * (len(content) // 3),                 # not this artifact: fetched again
        "too_long": content + b"more",                          # past its end: fetched again
    }[left_behind])
    assert download_artifact(api.workflows, expected.id, target, timeout=10) == expected
    assert target.read_bytes() == content and not part.exists()


def test_download_errors(export, tmp_path):
    api, _, _, exported = export
    with pytest.raises(grpc.RpcError) as missing:
        download_artifact(api.workflows, f"{exported.id}.nothing.pdf", tmp_path / "x", timeout=10)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as malformed:
        download_artifact(api.workflows, "not an artifact id", tmp_path / "x", timeout=10)
    assert malformed.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_an_upload_is_read_back_as_a_worker_would(export, tmp_path):
    api, uploaded, _, _ = export
    described = download_file(api.workflows, uploaded.file_id, tmp_path / "again.csv", timeout=10)
    assert described == uploaded
    assert (tmp_path / "again.csv").read_bytes() == ASSETS.read_bytes()
    (tmp_path / "half.csv.part").write_bytes(ASSETS.read_bytes()[:100])
    assert download_file(api.workflows, uploaded.file_id, tmp_path / "half.csv", timeout=10) == uploaded
    assert (tmp_path / "half.csv").read_bytes() == ASSETS.read_bytes()
    memory = io.BytesIO()
    download_file(api.workflows, uploaded.file_id, memory, timeout=10)
    assert memory.getvalue() == ASSETS.read_bytes()
    with pytest.raises(grpc.RpcError) as missing:
        download_file(api.workflows, "f-" + "0" * 26, tmp_path / "x", timeout=10)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


class FakeStub:
    """A DownloadArtifact that streams what the test says."""

    def __init__(self, messages):
        self.messages = messages
        self.requests = []

    def DownloadArtifact(self, request, timeout=None, metadata=None):
        self.requests.append(request)
        return iter(self.messages)


def test_a_stream_that_does_not_match_its_artifact_raises(tmp_path):
    description = pb.Artifact(id="wf-1.a.bin", name="a.bin", size_bytes=3, sha256=hashlib.sha256(b"abc").hexdigest())
    wrong = FakeStub([pb.ArtifactChunk(artifact=description, data=b"abd")])
    with pytest.raises(IntegrityError, match="SHA-256"):
        download_artifact(wrong, description.id, tmp_path / "a.bin")
    assert not (tmp_path / "a.bin").exists() and not (tmp_path / "a.bin.part").exists()
    short = FakeStub([pb.ArtifactChunk(artifact=description, data=b"ab")])
    with pytest.raises(IntegrityError, match="received 2 bytes"):
        download_artifact(short, description.id, io.BytesIO())
    with pytest.raises(IntegrityError, match="description"):
        download_artifact(FakeStub([pb.ArtifactChunk(data=b"abc")]), description.id, io.BytesIO())
    good = FakeStub([pb.ArtifactChunk(artifact=description, data=b"a"), pb.ArtifactChunk(data=b"bc")])
    assert download_artifact(good, description.id, tmp_path / "a.bin") == description
    assert (tmp_path / "a.bin").read_bytes() == b"abc" and good.requests[0].offset == 0
