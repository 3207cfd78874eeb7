"""Bearer tokens against a workflowd with `--auth tokens`: a worker with a `worker:import` token
runs its jobs; one the server refuses before it ever welcomed it stops at once and `run` raises
`WorkerRefused` with the server's message; one refused after it served (its token revoked, a
server restarted with other tokens) keeps its job and retries every `reconnect_max` until a
token is accepted; the file helpers with `metadata=bearer(token)`, and without it."""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from pathlib import Path
from typing import Dict, List

import grpc
import pytest

from conftest import REPOSITORY, Api, Workflowd, remote_job, wait_for
from workflow_worker import JobContext, Worker, WorkerRefused, WorkerState, bearer
from workflow_worker.files import download_artifact, download_file, upload_file
from workflow_worker.protos import workflow_pb2 as pb
from workflow_worker.protos import workflow_pb2_grpc as pb_grpc

ADMIN = secrets.token_urlsafe(24)
WORKER = secrets.token_urlsafe(24)       # importer: worker:import
EXPORTER = secrets.token_urlsafe(24)     # exporter: worker:export
USER = secrets.token_urlsafe(24)         # alice: user

NO_CREDENTIALS = "no credentials: send the metadata `authorization: Bearer <token>`"
UNKNOWN_TOKEN = "unknown or revoked token"


def write_tokens(path: Path, roles: Dict[str, str]) -> Path:
    """A `--auth-tokens` file: `<sha256 of the token> <subject> <roles>` per token."""
    path.write_text("# pytest\n" + "".join(f"{hashlib.sha256(token.encode()).hexdigest()} {who}\n"
                                          for token, who in roles.items()))
    return path


def auth_args(tokens: Path) -> List[str]:
    return ["--auth", "tokens", "--auth-tokens", str(tokens)]


class Records(logging.Handler):
    """The records a worker's logger received, with when."""

    def __init__(self, name: str):
        super().__init__(logging.DEBUG)
        self.logger = logging.getLogger(name)
        self.logger.setLevel(logging.DEBUG)
        self.logger.propagate = False
        self.logger.addHandler(self)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def matching(self, text: str) -> List[logging.LogRecord]:
        return [record for record in list(self.records) if text in record.getMessage()]


def run_expecting_an_error(worker: Worker, timeout: float) -> BaseException:
    """Runs `worker.run` in a thread; returns what it raised within `timeout` seconds (a worker
    that goes on instead is stopped, and the test fails)."""
    raised: List[BaseException] = []

    def run():
        try:
            worker.run(handle_signals=False)
        except BaseException as error:  # noqa: B902 - handed to the test
            raised.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        worker.stop(timeout=0)
        pytest.fail(f"run did not raise within {timeout} s (state {worker.state})")
    assert raised, "run returned without raising"
    return raised[0]


@pytest.fixture
def records(request):
    handler = Records(f"workflow_worker.test.{request.node.name}")
    yield handler
    handler.logger.removeHandler(handler)


@pytest.fixture(scope="module")
def auth(templates, tmp_path_factory):
    """A server with `--auth tokens` of the module's own, and an admin `Api` on it."""
    tokens = write_tokens(tmp_path_factory.mktemp("auth") / "tokens", {
        ADMIN: "root admin", WORKER: "importer worker:import", EXPORTER: "exporter worker:export",
        USER: "alice user"})
    server = Workflowd(templates, auth_args(tokens))
    api = Api(server.address, token=ADMIN)
    yield server, api
    api.close()
    server.remove()


def test_bearer_metadata_and_malformed_tokens():
    assert bearer("abc.DEF-123_~") == [("authorization", "Bearer abc.DEF-123_~")]
    for malformed, message in [("", "empty"), ("Bearer abc", "without its \"Bearer \" scheme"),
                               ("abc\n", "a newline or space"), ("a b", "a newline or space"),
                               ("tōken", "visible ASCII")]:
        with pytest.raises(ValueError, match=message):
            bearer(malformed)
    with pytest.raises(TypeError):
        bearer(b"abc")
    with pytest.raises(ValueError, match="a newline"):
        Worker("127.0.0.1:1", name="x", token=WORKER + "\n")      # at once, not on every attempt


def test_a_worker_with_its_queues_token_runs_the_job(auth, make_worker):
    server, api = auth
    worker = make_worker(server.address, name="python-importer", token=WORKER)

    @worker.job("import")
    def process(ctx: JobContext):
        ctx.log_step("Created P-1", entity_tag="P-1")
        return {"itemsCreated": 1}

    worker.start()
    assert worker.wait_connected(10)
    assert [w.worker.instance_id for w in api.list_workers("import")] == [worker.instance_id]
    workflow = api.wait_ended(api.start("PY_AUTH"))
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow
    job = remote_job(workflow)
    assert [s.message for s in job.steps] == ["Created P-1"]
    assert job.stats.counters["itemsCreated"] == 1
    assert job.worker.instance_id == worker.instance_id


REFUSALS = [
    pytest.param(None, ["import"], grpc.StatusCode.UNAUTHENTICATED, NO_CREDENTIALS, id="no token"),
    pytest.param("not-a-token", ["import"], grpc.StatusCode.UNAUTHENTICATED, UNKNOWN_TOKEN, id="wrong token"),
    pytest.param(EXPORTER, ["import"], grpc.StatusCode.PERMISSION_DENIED,
                 'queues: exporter may not serve queue "import"', id="another queue's token"),
    pytest.param(WORKER, ["export", "import"], grpc.StatusCode.PERMISSION_DENIED,
                 'queues: importer may not serve queue "export"', id="one queue too many"),
    pytest.param(USER, ["import"], grpc.StatusCode.PERMISSION_DENIED, "alice (roles: user) may not ",
                 id="not a worker"),
]


@pytest.mark.parametrize("token, queues, code, message", REFUSALS)
def test_refused_credentials_stop_the_worker_and_run_raises(auth, make_worker, records, token, queues, code,
                                                            message):
    """The first stream ends UNAUTHENTICATED or PERMISSION_DENIED: no reconnect (with this
    fixture's 0.05 s backoff it would try about twenty times a second); `run` raises the
    server's status and message at once and the worker is stopped."""
    server, api = auth
    worker = make_worker(server.address, token=token, logger=records.logger)
    for queue in queues:
        worker.job(queue, lambda ctx: None)
    refused = run_expecting_an_error(worker, timeout=3.0)

    assert isinstance(refused, WorkerRefused), repr(refused)
    assert refused.code == code
    assert refused.details.startswith(message), refused.details
    assert refused.details in str(refused) and code.name in str(refused)
    assert worker.state is WorkerState.STOPPED and not worker.connected
    time.sleep(0.3)                                          # time enough for a few reconnects
    [logged] = records.matching("worker.refused")
    assert logged.levelno == logging.ERROR and refused.details in logged.getMessage()
    assert records.matching("worker.disconnected") == [], "the worker connected again"
    assert api.list_workers("import") == []


def test_wait_connected_raises_for_a_refused_worker(auth, make_worker):
    """`start` users learn it from `wait_connected`; the worker stops by itself."""
    server, _ = auth
    worker = make_worker(server.address, token="not-a-token")
    worker.job("import", lambda ctx: None)
    worker.start()
    started = time.monotonic()
    with pytest.raises(WorkerRefused, match=UNKNOWN_TOKEN):
        worker.wait_connected(10)
    assert time.monotonic() - started < 3.0
    wait_for(lambda: worker.state is WorkerState.STOPPED, what="the worker to stop")
    assert worker.stop() is True


def test_a_token_function_that_raises_is_retried(auth, make_worker):
    server, _ = auth
    calls = []

    def token() -> str:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RuntimeError("the token service is down")
        return WORKER

    worker = make_worker(server.address, token=token)
    worker.job("import", lambda ctx: None)
    worker.start()
    assert worker.wait_connected(10)
    assert len(calls) == 2


def test_a_worker_refused_after_it_served_keeps_its_job_and_retries_at_the_longest_delay(
        templates, tmp_path, make_worker, records):
    """The server is killed mid-job and comes back with the worker's token revoked (and another
    one issued). The worker, welcomed before, logs each refusal as an error and retries every
    0.5 to 1 s (its `reconnect_max`), its job still running; once its token function returns
    the new token, it reconnects, the lease is resumed and the same attempt completes."""
    old, new = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    tokens = write_tokens(tmp_path / "tokens", {ADMIN: "root admin", old: "importer worker:import"})
    server = Workflowd(templates, auth_args(tokens))
    current = {"token": old}
    try:
        worker = make_worker(server.address, token=lambda: current["token"], reconnect_max=1.0,
                             logger=records.logger)
        logged, go_on, seen = threading.Event(), threading.Event(), {}

        @worker.job("import")
        def process(ctx: JobContext):
            ctx.log_step("before")
            logged.set()
            go_on.wait(60)
            seen["cancelled"] = ctx.cancelled
            ctx.log_step("after")

        worker.start()
        api = Api(server.address, token=ADMIN)
        workflow_id = api.start("PY_AUTH")
        api.close()
        assert logged.wait(15)

        server.kill()
        write_tokens(tokens, {ADMIN: "root admin", new: "importer worker:import"})
        server.start()
        wait_for(lambda: len(records.matching(UNKNOWN_TOKEN)) >= 4, timeout=15, what="four refusals")
        refusals = records.matching(UNKNOWN_TOKEN)
        assert all(r.levelno == logging.ERROR and "worker.disconnected" in r.getMessage() for r in refusals)
        gaps = [b.created - a.created for a, b in zip(refusals, refusals[1:])]
        assert min(gaps) >= 0.45, f"retried after {min(gaps):.2f} s, not reconnect_max (1 s, jittered)"
        assert worker.state is WorkerState.RUNNING and worker.jobs_running == 1
        assert records.matching("worker.refused") == []

        current["token"] = new
        assert worker.wait_connected(5)
        go_on.set()
        api = Api(server.address, token=ADMIN)
        try:
            workflow = api.wait_ended(workflow_id, timeout=30)
        finally:
            api.close()
        assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow
        job = remote_job(workflow)
        assert (job.attempt, [s.message for s in job.steps]) == (1, ["before", "after"])
        assert seen == {"cancelled": False}
    finally:
        server.remove()


ASSETS = REPOSITORY / "Samples/assets.csv"


def test_a_job_reads_a_users_upload_with_the_workers_token(auth, make_worker, tmp_path):
    """alice (user) uploads a file and starts the workflow with its id; the job downloads it
    with the worker's token and hands its checksum on as an output."""
    server, _ = auth
    channel = grpc.insecure_channel(server.address)
    stub = pb_grpc.WorkflowServiceStub(channel)
    alice = Api(server.address, token=USER)
    worker = make_worker(server.address, token=WORKER)

    @worker.job("import")
    def process(ctx: JobContext):
        local = tmp_path / "from-worker.csv"
        described = download_file(stub, ctx.params["file_id"], local, timeout=10, metadata=bearer(WORKER))
        ctx.set_output("sha256", hashlib.sha256(local.read_bytes()).hexdigest())
        ctx.set_output("name", described.name)

    try:
        worker.start()
        uploaded = upload_file(stub, ASSETS, timeout=10, metadata=bearer(USER))
        workflow = alice.wait_ended(alice.start("PY_AUTH", file_id=uploaded.file_id))
        assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow
        assert workflow.user_id == "alice"
        assert dict(remote_job(workflow).outputs) == {"sha256": uploaded.sha256, "name": "assets.csv"}
    finally:
        alice.close()
        channel.close()


def test_file_helpers_send_the_token_and_fail_unauthenticated_without_it(auth, tmp_path):
    server, api = auth
    stub = api.workflows
    content = ASSETS.read_bytes()

    with pytest.raises(grpc.RpcError) as refused:
        upload_file(stub, ASSETS, timeout=10)
    assert (refused.value.code(), refused.value.details()) == (grpc.StatusCode.UNAUTHENTICATED, NO_CREDENTIALS)
    with pytest.raises(grpc.RpcError) as refused:
        upload_file(stub, ASSETS, timeout=10, metadata=bearer("not-a-token"))
    assert (refused.value.code(), refused.value.details()) == (grpc.StatusCode.UNAUTHENTICATED, UNKNOWN_TOKEN)
    with pytest.raises(grpc.RpcError) as refused:
        upload_file(stub, ASSETS, timeout=10, metadata=bearer(WORKER))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED      # workers read files, not write them

    uploaded = upload_file(stub, ASSETS, timeout=10, metadata=bearer(ADMIN))
    for token in (ADMIN, WORKER, USER):
        destination = tmp_path / f"{token[:6]}.csv"
        assert download_file(stub, uploaded.file_id, destination, timeout=10, metadata=bearer(token)) == uploaded
        assert destination.read_bytes() == content
    with pytest.raises(grpc.RpcError) as refused:
        download_file(stub, uploaded.file_id, tmp_path / "none.csv", timeout=10)
    assert (refused.value.code(), refused.value.details()) == (grpc.StatusCode.UNAUTHENTICATED, NO_CREDENTIALS)
    assert not (tmp_path / "none.csv").exists() and not (tmp_path / "none.csv.part").exists()

    imported = api.wait_ended(api.start("IMPORT_ASSETS", file_id=uploaded.file_id))
    assert imported.status == pb.WORKFLOW_STATUS_COMPLETED, imported
    exported = api.wait_ended(api.start("EXPORT_PACKAGE"))
    assert exported.status == pb.WORKFLOW_STATUS_COMPLETED, exported
    artifact_id = exported.result["xlsx_artifact_id"]
    for token in (ADMIN, WORKER):
        artifact = download_artifact(stub, artifact_id, tmp_path / f"{token[:6]}.xlsx", timeout=10,
                                     metadata=bearer(token))
        assert artifact.id == artifact_id
        assert hashlib.sha256((tmp_path / f"{token[:6]}.xlsx").read_bytes()).hexdigest() == artifact.sha256
    with pytest.raises(grpc.RpcError) as refused:
        download_artifact(stub, artifact_id, tmp_path / "none.xlsx", timeout=10)
    assert (refused.value.code(), refused.value.details()) == (grpc.StatusCode.UNAUTHENTICATED, NO_CREDENTIALS)
    with pytest.raises(grpc.RpcError) as hidden:                # the export is tester's, not alice's
        download_artifact(stub, artifact_id, tmp_path / "alice.xlsx", timeout=10, metadata=bearer(USER))
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
