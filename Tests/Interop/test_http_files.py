"""Files over the HTTP side port: a streamed upload, an artifact download with Range, the
assets routes, and uploads that fail (too large, a wrong checksum, a cut connection) leaving
nothing behind."""
import hashlib
import http.client
import json
import os
import re
import socket
import time
from pathlib import Path
from urllib.parse import urlencode

import grpc
import pytest

from conftest import ROOT, Server, workflow_pb2, workflow_pb2_grpc


@pytest.fixture(scope="module")
def server():
    server = Server("--max-upload-size", str(4 << 20))
    yield server
    server.stop()


def uploads_left(server: Server) -> list[str]:
    folder = Path(server.data_dir) / "files/uploads"
    return sorted(p.name for p in folder.iterdir() if p.name != "tmp") + sorted("tmp/" + p.name for p in (folder / "tmp").iterdir())


def upload(server: Server, content: bytes, name: str = "assets.csv", sha256: str | None = None, chunked: bool = True):
    """POSTs `content` (in 64 KiB chunks with chunked encoding); (status, JSON)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=60)
    try:
        query = urlencode({"name": name, "sha256": sha256 or hashlib.sha256(content).hexdigest()})
        body = (content[i:i + 65536] for i in range(0, len(content), 65536)) if chunked else content
        connection.request("POST", f"/api/v1/files?{query}", body=body, headers={"Content-Type": "text/csv"},
                           encode_chunked=chunked)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def get(server: Server, path: str, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=60)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def wait(server: Server, workflow_id: str) -> dict:
    while True:
        workflow = json.loads(get(server, f"/api/v1/workflows/{workflow_id}?omit_steps=true")[2])
        if workflow["status"] != "WORKFLOW_STATUS_RUNNING":
            return workflow
        time.sleep(0.02)


def start(server: Server, type: str, params: dict) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    connection.request("POST", "/api/v1/workflows", body=json.dumps({"type": type, "params": params}))
    answer = json.loads(connection.getresponse().read())
    connection.close()
    return answer["workflow_id"]


def test_upload_import_export_and_download_over_http(server):
    content = (ROOT / "Samples/assets.csv").read_bytes()
    status, stored = upload(server, content)
    assert status == 201, stored
    assert stored["size_bytes"] == str(len(content)) and stored["sha256"] == hashlib.sha256(content).hexdigest()
    assert stored["content_type"] == "text/csv" and stored["name"] == "assets.csv"
    status, headers, read_back = get(server, f"/api/v1/files/{stored['file_id']}")
    assert status == 200 and read_back == content and headers["ETag"] == f'"{stored["sha256"]}"'
    assert headers["Content-Disposition"] == 'attachment; filename="assets.csv"' and headers["Content-Type"] == "text/csv"
    assert get(server, f"/api/v1/files/{stored['file_id']}", {"Range": "bytes=700-"})[2] == content[700:]
    assert get(server, "/api/v1/files/f-" + "0" * 26)[0] == 404
    assert get(server, "/api/v1/files/nope")[0] == 400
    with grpc.insecure_channel(server.address) as channel:
        stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
        chunks = list(stub.DownloadFile(workflow_pb2.DownloadFileRequest(file_id=stored["file_id"], offset=6)))
        assert chunks[0].file.name == "assets.csv" and chunks[0].file.size_bytes == len(content)
        assert b"".join(c.data for c in chunks) == content[6:] and all(not c.HasField("file") for c in chunks[1:])
        with pytest.raises(grpc.RpcError) as refused:
            list(stub.DownloadFile(workflow_pb2.DownloadFileRequest(file_id=stored["file_id"], offset=len(content) + 1)))
        assert refused.value.code() == grpc.StatusCode.OUT_OF_RANGE
    imported = wait(server, start(server, "IMPORT_ASSETS", {"file_id": stored["file_id"]}))
    assert imported["status"] == "WORKFLOW_STATUS_COMPLETED", imported
    assert imported["result"] == {"assets_created": "10", "assets_updated": "0", "assets_unchanged": "0"}

    export = wait(server, start(server, "EXPORT_PACKAGE", {"package_name": "plant"}))
    artifacts = {a["name"]: a for a in export["artifacts"]}
    assert sorted(artifacts) == ["plant.json", "plant.pdf", "plant.xlsx"]
    pdf = artifacts["plant.pdf"]
    status, headers, body = get(server, f"/api/v1/artifacts/{pdf['id']}")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == 'attachment; filename="plant.pdf"'
    assert headers["ETag"] == f'"{pdf["sha256"]}"' and int(headers["Content-Length"]) == len(body) == int(pdf["size_bytes"])
    assert hashlib.sha256(body).hexdigest() == pdf["sha256"]
    status, headers, tail = get(server, f"/api/v1/artifacts/{pdf['id']}", {"Range": "bytes=100-"})
    assert status == 206 and tail == body[100:] and headers["Content-Range"] == f"bytes 100-{len(body) - 1}/{len(body)}"
    assert get(server, f"/api/v1/artifacts/{pdf['id']}", {"Range": f"bytes={len(body) + 1}-"})[0] == 416
    status, headers, _ = get(server, f"/api/v1/artifacts/{pdf['id']}", {"Range": f"bytes={len(body)}-"})
    assert status == 416 and headers["Content-Range"] == f"bytes */{len(body)}", "a range starting at the end is not inside the file"
    etag = f'"{pdf["sha256"]}"'
    assert get(server, f"/api/v1/artifacts/{pdf['id']}", {"Range": "bytes=100-", "If-Range": etag})[:3:2] == (206, body[100:])
    assert get(server, f"/api/v1/artifacts/{pdf['id']}", {"Range": "bytes=100-", "If-Range": '"other"'})[:3:2] == (200, body), \
        "a resume of another version gets the whole file"
    assert get(server, f"/api/v1/artifacts/{pdf['id']}", {"Range": "bytes=0-10"})[:3:2] == (200, body), "other ranges are ignored"
    snapshot = json.loads(get(server, f"/api/v1/artifacts/{artifacts['plant.json']['id']}")[2])
    assert len(snapshot) == 10

    status, _, page = get(server, "/api/v1/assets?type=Pump&page_size=2")
    page = json.loads(page)
    assert status == 200 and [a["tag"] for a in page["assets"]] == ["P-101", "P-102"] and page["total_count"] == 3
    status, _, rest = get(server, f"/api/v1/assets?{urlencode({'type': 'Pump', 'page_token': page['next_page_token']})}")
    assert [a["tag"] for a in json.loads(rest)["assets"]] == ["P-103"]
    one = page["assets"][0]
    status, _, fetched = get(server, f"/api/v1/assets/{one['id']}")
    assert status == 200 and json.loads(fetched) == one and one["route"] == f"/assets/{one['id']}"
    assert get(server, "/api/v1/assets/99999")[0] == 404
    assert get(server, "/api/v1/assets?page_size=5000")[0] == 400
    assert get(server, f"/api/v1/artifacts/{export['id']}.missing.pdf")[0] == 404
    assert get(server, "/api/v1/artifacts/no-dot")[0] == 400


def test_failed_uploads_answer_precisely_and_leave_nothing(server):
    before = uploads_left(server)
    content = os.urandom(200_000)
    status, error = upload(server, content, sha256="0" * 64)
    assert status == 422 and error["status"] == "DATA_LOSS" and "SHA-256" in error["message"]
    status, error = upload(server, os.urandom((4 << 20) + 1), chunked=True)
    assert status == 413 and error["status"] == "RESOURCE_EXHAUSTED"
    status, error = upload(server, os.urandom((4 << 20) + 1), chunked=False)
    assert status == 413 and "header.size_bytes" in error["message"], "a declared Content-Length over the limit is refused up front"
    status, error = upload(server, b"x", name="../etc/passwd")
    assert status == 400 and error["message"].startswith("header.name")
    status, error = upload(server, b"x", sha256="xyz")
    assert status == 400 and error["message"].startswith("header.sha256")

    # A client that goes away halfway through its body.
    with socket.create_connection(("127.0.0.1", server.http_port)) as raw:
        query = urlencode({"name": "cut.csv", "sha256": "a" * 64})
        raw.sendall(f"POST /api/v1/files?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n".encode() + b"a" * 300_000)
        time.sleep(0.3)
    deadline = time.monotonic() + 10
    while uploads_left(server) != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uploads_left(server) == before


def test_the_memory_store_keeps_its_files_in_a_temporary_folder_it_removes_at_stop():
    server = Server("--store", "memory")
    try:
        status, stored = upload(server, b"tag,type\nP-1,Pump\n")
        assert status == 201
        logged = "".join(server.log)
        folder = Path(re.search(r"files\.path=(\S+)", logged).group(1))
        assert (folder / "uploads" / f"{stored['file_id']}.data").exists()
    finally:
        server.stop()
    assert not folder.exists(), "the memory store's files outlived workflowd"
