"""Files over the API: `upload_file`, `download_artifact` and `download_file`.

A client with no access to the server's disk uploads the files a workflow reads (the
`file_id` parameter of IMPORT_ASSETS and RULE_EXECUTION) and downloads the files a workflow
produced (`Workflow.artifacts`, e.g. EXPORT_PACKAGE's spreadsheet)::

    import grpc
    from workflow_worker.files import download_artifact, upload_file
    from workflow_worker.protos import workflow_pb2 as pb, workflow_pb2_grpc as pb_grpc

    stub = pb_grpc.WorkflowServiceStub(grpc.insecure_channel("127.0.0.1:50051"))
    uploaded = upload_file(stub, "Samples/assets.csv")
    started = stub.StartWorkflow(pb.StartWorkflowRequest(type="IMPORT_ASSETS",
                                                         params={"file_id": uploaded.file_id}))
    ...
    export = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=export_id))
    download_artifact(stub, export.result["xlsx_artifact_id"], "assets.xlsx")

Against a server with `--auth tokens|jwt`, every call takes `metadata=bearer(token)` (no
token: UNAUTHENTICATED; a role that may not: PERMISSION_DENIED). Uploads need the role
admin, operator or user; a worker's `worker:<queue>` token may download files and artifacts.

Both stream, so neither holds a whole file in memory; both check the SHA-256 end to end (the
server refuses an upload whose content has another checksum, with DATA_LOSS, and keeps
nothing; a download that does not match its artifact's size and checksum raises
`IntegrityError`). A download into a path resumes where an earlier, cut-off one stopped.
A worker whose job was given a `file_id` reads that upload back with `download_file`.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from typing import BinaryIO, Iterable, Iterator, Optional, Sequence, Tuple, Union

import grpc

from .auth import bearer  # noqa: F401 - here too, for the callers of these helpers: metadata=bearer(token)
from .protos import workflow_pb2 as pb

DEFAULT_CHUNK_SIZE = 1 << 20
"""Bytes per upload message: 1 MiB, well under the server's default 4 MiB message limit."""
_READ_SIZE = 1 << 20

BytesLike = Union[bytes, bytearray, memoryview]
Source = Union[str, "os.PathLike[str]", BytesLike, Iterable[BytesLike]]
Metadata = Optional[Sequence[Tuple[str, str]]]


class IntegrityError(Exception):
    """A download's bytes do not match the size or SHA-256 its artifact (or upload) declares."""


class _Download:
    """What differs between DownloadArtifact and DownloadFile: the call and the description."""

    def __init__(self, method: str, request, field: str, ident: str):
        self.method, self.request, self.field, self.ident = method, request, field, ident

    def call(self, stub, offset: int, timeout, metadata):
        return getattr(stub, self.method)(self.request(self.ident, offset), timeout=timeout, metadata=metadata)


def _artifact(artifact_id: str) -> _Download:
    return _Download("DownloadArtifact", lambda ident, offset: pb.DownloadArtifactRequest(artifact_id=ident, offset=offset),
                     "artifact", artifact_id)


def _upload(file_id: str) -> _Download:
    return _Download("DownloadFile", lambda ident, offset: pb.DownloadFileRequest(file_id=ident, offset=offset),
                     "file", file_id)


def upload_file(stub, source: Source, *, name: Optional[str] = None, content_type: Optional[str] = None,
                sha256: Optional[str] = None, size_bytes: Optional[int] = None,
                chunk_size: int = DEFAULT_CHUNK_SIZE, timeout: Optional[float] = None,
                metadata: Metadata = None) -> pb.UploadedFile:
    """Uploads a file with `WorkflowService.UploadFile`; returns the stored file (its `file_id`
    goes in a workflow's `file_id` parameter).

    Args:
        stub: A `WorkflowServiceStub`.
        source: A path (read twice: once for the checksum, once to send it), the content as
            bytes, or an iterable of byte chunks (a generator of a large file: then give
            `sha256`, which the header carries before the first chunk).
        name: The file name the server keeps, e.g. "assets.csv" (its extension tells
            IMPORT_ASSETS the format); default: a path's base name. Required for bytes and
            chunks.
        content_type: The media type; default: guessed from the name, else none (the server
            records application/octet-stream).
        sha256: The content's SHA-256 in hex; computed when not given (except for chunks).
        size_bytes: The content's size, declared in the header so that the server refuses a
            file over its limit before any content is sent; known for paths and bytes.
        chunk_size: The most bytes per message (larger chunks of an iterable are split).
        timeout: Seconds for the whole call; None for no deadline.
        metadata: gRPC metadata for the call, e.g. `bearer(token)`.

    Returns:
        The `UploadedFile`: `file_id`, name, size, SHA-256 and when it expires.

    Raises:
        grpc.RpcError: The server refused the upload: DATA_LOSS (the content does not match
            `sha256` or `size_bytes`), RESOURCE_EXHAUSTED (larger than its `--max-upload-size`),
            INVALID_ARGUMENT (a bad name or checksum text), UNAUTHENTICATED (no or a bad token,
            with `--auth`), PERMISSION_DENIED (the token's roles may not upload). It keeps
            nothing of it.
        ValueError: A missing name or checksum, or a chunk size below 1.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
    chunks: Iterable[BytesLike]
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        name = name or os.path.basename(path)
        if sha256 is None:
            sha256 = file_sha256(path)
        if size_bytes is None:
            size_bytes = os.path.getsize(path)
        chunks = _read_chunks(path, chunk_size)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        content = memoryview(source).cast("B")
        if sha256 is None:
            sha256 = hashlib.sha256(content).hexdigest()
        if size_bytes is None:
            size_bytes = len(content)
        chunks = (content[start:start + chunk_size] for start in range(0, len(content), chunk_size))
    else:
        if sha256 is None:
            raise ValueError("uploading chunks needs their sha256: the header carries it before the first chunk")
        chunks = source
    if not name:
        raise ValueError("an upload needs a name (e.g. 'assets.csv')")
    if content_type is None:
        content_type = mimetypes.guess_type(name)[0] or ""
    header = pb.UploadHeader(name=name, content_type=content_type, sha256=sha256, size_bytes=size_bytes or 0)
    return stub.UploadFile(upload_requests(header, chunks, chunk_size), timeout=timeout, metadata=metadata)


def upload_requests(header: pb.UploadHeader, chunks: Iterable[BytesLike],
                    chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[pb.UploadFileRequest]:
    """The messages of one UploadFile call: `header`, then `chunks` cut to at most
    `chunk_size` bytes each (for callers that drive the call themselves, e.g. with
    `stub.UploadFile.future`)."""
    yield pb.UploadFileRequest(header=header)
    for chunk in chunks:
        view = memoryview(chunk).cast("B")
        for start in range(0, len(view), chunk_size):
            yield pb.UploadFileRequest(chunk=bytes(view[start:start + chunk_size]))


def download_artifact(stub, artifact_id: str, destination: Union[str, "os.PathLike[str]", BinaryIO], *,
                      resume: bool = True, timeout: Optional[float] = None,
                      metadata: Metadata = None) -> pb.Artifact:
    """Downloads an artifact with `WorkflowService.DownloadArtifact` and checks it.

    Into a path, the bytes go to `<destination>.part`, which is renamed to `destination` once
    its size and SHA-256 match the artifact's. With `resume`, a `.part` left by an earlier call
    that was cut off is continued from its end (the request's `offset`) instead of fetched again;
    one that turns out not to be the start of this artifact (its file was replaced by a later
    attempt of its job) is fetched again from the start.
    Into a binary file object, the content is written from its current position.

    Args:
        stub: A `WorkflowServiceStub`.
        artifact_id: The artifact's id (`Artifact.id`, or an id in a workflow's result such
            as `xlsx_artifact_id`).
        destination: A path, or a writable binary file object.
        resume: Continue a `.part` file left by an earlier download into the same path.
        timeout: Seconds for the whole call; None for no deadline.
        metadata: gRPC metadata for the call, e.g. `bearer(token)`.

    Returns:
        The `Artifact`: name, media type, size, SHA-256, the workflow and job that made it.

    Raises:
        grpc.RpcError: NOT_FOUND (no such artifact, or one of another user's workflows),
            INVALID_ARGUMENT (not an artifact id), UNAUTHENTICATED (no or a bad token, with
            `--auth`), or the stream broke (a path's `.part` stays for a resume, unless it is
            empty).
        IntegrityError: The bytes received from the start do not match the artifact's size or
            SHA-256 (a path's `.part` is removed: it cannot be resumed).
    """
    return _download(stub, _artifact(artifact_id), destination, resume, timeout, metadata)


def download_file(stub, file_id: str, destination: Union[str, "os.PathLike[str]", BinaryIO], *,
                  resume: bool = True, timeout: Optional[float] = None,
                  metadata: Metadata = None) -> pb.UploadedFile:
    """Reads an upload back with `WorkflowService.DownloadFile` and checks it, as
    `download_artifact` does: what a worker does with the `file_id` its job was given.

    Returns:
        The `UploadedFile`: name, media type, size, SHA-256, expiry.

    Raises:
        grpc.RpcError: NOT_FOUND (expired, or never stored), INVALID_ARGUMENT (not an upload id),
            UNAUTHENTICATED (no or a bad token, with `--auth`).
        IntegrityError: The bytes do not match the upload's size or SHA-256.
    """
    return _download(stub, _upload(file_id), destination, resume, timeout, metadata)


def _download(stub, download: _Download, destination, resume: bool, timeout, metadata):
    if not isinstance(destination, (str, os.PathLike)):
        digest = hashlib.sha256()
        described, received = _stream(stub, download, 0, destination, digest, timeout, metadata)
        _check(described, received, digest.hexdigest())
        return described

    path = os.fspath(destination)
    partial = path + ".part"
    offset = os.path.getsize(partial) if resume and os.path.exists(partial) else 0
    if offset:
        try:
            return _download_into(stub, download, path, partial, offset, timeout, metadata)
        except grpc.RpcError as error:
            if error.code() is not grpc.StatusCode.OUT_OF_RANGE:
                raise
        except IntegrityError:
            pass
        # The .part was not a prefix of this artifact (a new attempt replaced its file): again
        # from the start.
        if os.path.exists(partial):
            os.remove(partial)
    return _download_into(stub, download, path, partial, 0, timeout, metadata)


def file_sha256(path: Union[str, "os.PathLike[str]"]) -> str:
    """The SHA-256 of a file's content, in lowercase hex (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(_READ_SIZE), b""):
            digest.update(block)
    return digest.hexdigest()


def _download_into(stub, download: _Download, path: str, partial: str, offset: int, timeout, metadata):
    """Downloads into `partial` from `offset` (its current size), checks, renames to `path`."""
    digest = hashlib.sha256()
    if offset:
        with open(partial, "rb") as existing:
            for block in iter(lambda: existing.read(_READ_SIZE), b""):
                digest.update(block)
    try:
        with open(partial, "ab" if offset else "wb") as file:
            described, received = _stream(stub, download, offset, file, digest, timeout, metadata)
            file.flush()
            os.fsync(file.fileno())
    except grpc.RpcError:
        if not offset and os.path.getsize(partial) == 0:
            os.remove(partial)              # nothing to resume (e.g. a refused call): no empty .part left
        raise
    try:
        _check(described, offset + received, digest.hexdigest())
    except IntegrityError:
        os.remove(partial)
        raise
    os.replace(partial, path)
    return described


def _read_chunks(path: str, chunk_size: int) -> Iterator[bytes]:
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(chunk_size), b""):
            yield block


def _stream(stub, download: _Download, offset: int, file: BinaryIO, digest, timeout, metadata):
    """Writes the stream's data to `file`; returns the file's description and the bytes written."""
    described = None
    received = 0
    for message in download.call(stub, offset, timeout, metadata):
        if described is None:
            if not message.HasField(download.field):
                raise IntegrityError(f"the download of {download.ident} did not start with the file's description")
            described = getattr(message, download.field)
        if message.data:
            file.write(message.data)
            digest.update(message.data)
            received += len(message.data)
    if described is None:
        raise IntegrityError(f"the download of {download.ident} ended without the file's description")
    return described, received


def _check(described, size: int, sha256: str) -> None:
    ident = getattr(described, "id", "") or getattr(described, "file_id", "")
    if size != described.size_bytes:
        raise IntegrityError(f"{ident}: received {size} bytes, it has {described.size_bytes}")
    if sha256 != described.sha256.lower():
        raise IntegrityError(f"{ident}: the content received has SHA-256 {sha256}, not {described.sha256}")
