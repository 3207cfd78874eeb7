"""Who may call workflowd and what each caller may do (issue 18), with stock grpcio clients against
real workflowd processes: static tokens and their revocation on SIGHUP, JWTs (HS256, ES256, RS256)
and what is refused, per-user visibility and the roles, the audit trail across a restart, client
certificates with --certificate-roles, and workflowctl's --token.

Also: tokens and JWTs over TLS and a JWT under mutual TLS, request ids per user, no credential in
the log, and a held lease resumed only for a queue the worker still serves.

One server per group of cases: `site` (--auth tokens, seven callers, remote queues) serves most of
them; reloads, JWTs, the audit's restart, TLS and the log's check start their own."""

import hashlib
import secrets
import signal
import subprocess
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from auth_support import (AuthPKI, Client, HTTPPort, SigningKeys, TokenFile, bearer, claims, cookie_header, hmac_token,
                          public_pem, rpc_error, status, token_line, unsigned_token, write_public_keys)
from conftest import WORKFLOW_SERVICE, Server, workflowd_binary
from raw_worker import RawWorker
from test_tls import secure_channel, tls_arguments
from test_workflowctl import clean_env, json_lines, workflowctl_binary
from workflow.v1 import workflow_pb2 as pb

UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
PERMISSION_DENIED = grpc.StatusCode.PERMISSION_DENIED
NOT_FOUND = grpc.StatusCode.NOT_FOUND

MISSING = "no credentials: send the metadata `authorization: Bearer <token>`"
NOT_BEARER = "the authorization metadata must be `Bearer <token>`"
UNKNOWN = "unknown or revoked token"

ROLES = {"alice": "user", "bob": "user", "ops": "operator", "view": "viewer", "root": "admin", "w-imp": "worker:imports",
         "w-ab": "worker:a,worker:b"}

TEMPLATES = """
[REMOTE_IMPORT] retries=0 timeout=1m
Process = remote queue=imports heartbeat=5s

[REMOTE_A] retries=0 timeout=1m
Process = remote queue=a heartbeat=5s
"""

# TEST parameters: one that runs until cancelled (a job of 300 s), one that fails at once, a quick one.
LONG = {"jobs": "2", "steps": "3000", "step_delay_ms": "100"}
FAILING = {"jobs": "2", "steps": "2", "step_delay_ms": "0", "fail_job": "1"}
QUICK = {"jobs": "2", "steps": "3", "step_delay_ms": "0"}

TERMINAL = {pb.LOG_EVENT_KIND_WORKFLOW_COMPLETED, pb.LOG_EVENT_KIND_WORKFLOW_FAILED, pb.LOG_EVENT_KIND_WORKFLOW_CANCELLED}
AUDITED = {pb.LOG_EVENT_KIND_WORKFLOW_STARTED, pb.LOG_EVENT_KIND_WORKFLOW_RETRIED, pb.LOG_EVENT_KIND_WORKFLOW_CANCEL_REQUESTED}


# MARK: helpers


def start(client: Client, user_id: str = "", type: str = "TEST", **params: str) -> str:
    return client.StartWorkflow(pb.StartWorkflowRequest(type=type, params=params, user_id=user_id)).workflow_id


def wait_until_ended(client: Client, workflow_id: str, timeout: float = 30) -> pb.Workflow:
    deadline = time.monotonic() + timeout
    while True:
        workflow = client.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id, omit_steps=True))
        if workflow.status != pb.WORKFLOW_STATUS_RUNNING:
            return workflow
        assert time.monotonic() < deadline, f"{workflow_id} still runs after {timeout} s"
        time.sleep(0.02)


def events_of(client: Client, workflow_id: str) -> list:
    """Every event of one workflow that ended (the watch ends after its terminal event)."""
    events = list(client.WatchLogs(pb.WatchLogsRequest(workflow_id=workflow_id), timeout=30))
    assert events and events[-1].kind in TERMINAL, [pb.LogEventKind.Name(event.kind) for event in events]
    return events


def upload(client: Client, content: bytes, name: str = "input.csv") -> pb.UploadedFile:
    header = pb.UploadHeader(name=name, content_type="text/csv", sha256=hashlib.sha256(content).hexdigest(), size_bytes=len(content))
    return client.UploadFile(iter([pb.UploadFileRequest(header=header), pb.UploadFileRequest(chunk=content)]))


def who(client: Client) -> tuple[str, list[str], bool]:
    answer = client.WhoAmI(pb.WhoAmIRequest())
    return answer.subject, sorted(answer.roles), answer.authenticated


def wait_for_log(server: Server, text: str, count: int = 1, timeout: float = 10) -> None:
    """Waits until `text` is in `count` lines of the server's log."""
    deadline = time.monotonic() + timeout
    while sum(text in line for line in list(server.log)) < count:
        assert time.monotonic() < deadline, f"not {count} × {text} in the log:\n" + "".join(server.log)
        time.sleep(0.02)


def reload(server: Server, text: str) -> None:
    """SIGHUP, then waits for the next `text` line (server.auth_reloaded or server.auth_reload_failed)."""
    seen = sum(text in line for line in list(server.log))
    server.process.send_signal(signal.SIGHUP)
    wait_for_log(server, text, count=seen + 1)


def made_up(workflow_id: str) -> str:
    """An id of the same shape that no workflow has."""
    return workflow_id[:3] + "Z" * (len(workflow_id) - 3)


def denied_prefix(subject: str) -> str:
    return f"{subject} (roles: {ROLES[subject]}) may not "


def assert_denied(error: grpc.RpcError, subject: str) -> None:
    assert error.code() == PERMISSION_DENIED, status(error)
    assert error.details().startswith(denied_prefix(subject)) and ": that needs " in error.details(), error.details()


class Site:
    """workflowd with --auth tokens and one token per caller of ROLES, on one shared channel."""

    def __init__(self, server: Server, tokens: TokenFile):
        self.server = server
        self.tokens = tokens
        self.channel = grpc.insecure_channel(server.address)

    def client(self, subject: str) -> Client:
        return Client(self.channel, bearer(self.tokens.tokens[subject]))

    def sending(self, authorization: str | None) -> Client:
        return Client(self.channel, authorization)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    directory = tmp_path_factory.mktemp("auth-site")
    tokens = TokenFile(directory / "tokens.txt", ROLES)
    templates = directory / "templates.conf"
    templates.write_text(TEMPLATES)
    server = Server("--auth", "tokens", "--auth-tokens", str(tokens.path), "--templates", str(templates))
    site = Site(server, tokens)
    yield site
    site.channel.close()
    server.stop()
    assert server.process.returncode == 0, "workflowd did not exit cleanly on SIGTERM"


class AliceWorkflows:
    """Workflows of alice (one running, one failed, one export with artifacts) and of bob."""

    def __init__(self, site: Site):
        alice, root = site.client("alice"), site.client("root")
        # She names bob as the user: a user's request's user_id is ignored.
        self.running = start(alice, user_id="bob", **LONG)
        self.failed = start(alice, **FAILING)
        self.export = start(alice, type="EXPORT_PACKAGE", package_name="alice-plant")
        self.for_bob = start(root, user_id="bob", **QUICK)
        self.bobs = start(site.client("bob"), **QUICK)
        for workflow_id in (self.failed, self.export, self.for_bob, self.bobs):
            wait_until_ended(root, workflow_id)
        exported = root.GetWorkflow(pb.GetWorkflowRequest(workflow_id=self.export))
        assert exported.status == pb.WORKFLOW_STATUS_COMPLETED and exported.artifacts, exported
        self.artifact = exported.artifacts[0]


@pytest.fixture(scope="module")
def workflows(site):
    workflows = AliceWorkflows(site)
    yield workflows
    site.client("root").CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=workflows.running))


# MARK: 1. static tokens


@pytest.mark.parametrize("authorization, message", [
    (None, MISSING),
    ("Basic eDp5", NOT_BEARER),
    ("Bearer", NOT_BEARER),
    ("Bearer two tokens", NOT_BEARER),
    ("Bearer not-a-token-of-this-server", UNKNOWN),
], ids=["missing", "basic", "bearer-nothing", "two-tokens", "unknown"])
def test_calls_without_a_valid_bearer_token_are_unauthenticated(site, authorization, message):
    client = site.sending(authorization)
    bad_hello = pb.WorkerMessage(hello=pb.WorkerHello(name="w", instance_id="w-1", queues=["imports"], slots=1))
    calls = {
        "unary": lambda: client.ListWorkflows(pb.ListWorkflowsRequest()),
        "who am i": lambda: client.WhoAmI(pb.WhoAmIRequest()),
        "server streaming": lambda: client.WatchLogs(pb.WatchLogsRequest()),
        "client streaming": lambda: upload(client, b"tag,type\n"),
        "bidirectional": lambda: client.Connect(iter([bad_hello])),
        "list workers": lambda: client.ListWorkers(pb.ListWorkersRequest()),
    }
    for kind, call in calls.items():
        assert status(rpc_error(call)) == (UNAUTHENTICATED, message), kind


def test_each_token_is_its_caller_whatever_the_case_of_the_scheme(site):
    for subject, roles in ROLES.items():
        token = site.tokens.tokens[subject]
        for scheme in ("Bearer", "bearer", "BEARER"):
            assert who(site.sending(f"{scheme} {token}")) == (subject, sorted(roles.split(",")), True), (subject, scheme)


def test_health_and_reflection_need_no_token(site):
    health = health_pb2_grpc.HealthStub(site.channel)
    for service in ("", WORKFLOW_SERVICE.full_name):
        assert health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status == health_pb2.HealthCheckResponse.SERVING
    assert WORKFLOW_SERVICE.full_name in ProtoReflectionDescriptorDatabase(site.channel).get_services()
    for version in ("v1", "v1alpha"):
        call = site.channel.stream_stream(f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
                                          request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                                          response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
        [answer] = list(call(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10))
        assert WORKFLOW_SERVICE.full_name in [service.name for service in answer.list_services_response.service], version
    # The same channel without a token gets nothing of the workflow service.
    assert rpc_error(site.sending(None).ListWorkflows, pb.ListWorkflowsRequest()).code() == UNAUTHENTICATED


def test_sighup_revokes_and_adds_tokens_and_a_broken_file_keeps_the_old_ones(tmp_path):
    tokens = TokenFile(tmp_path / "tokens.txt", {"alice": "user", "carol": "user"})
    server = Server("--auth", "tokens", "--auth-tokens", str(tokens.path), "--store", "memory")
    try:
        with grpc.insecure_channel(server.address) as channel:
            alice, carol = Client(channel, bearer(tokens.tokens["alice"])), Client(channel, bearer(tokens.tokens["carol"]))
            assert who(carol) == ("carol", ["user"], True)

            tokens.remove("carol")
            reload(server, "server.auth_reloaded")
            # Revoked on the connection it was used on, for every method.
            assert status(rpc_error(carol.WhoAmI, pb.WhoAmIRequest())) == (UNAUTHENTICATED, UNKNOWN)
            assert status(rpc_error(carol.ListWorkflows, pb.ListWorkflowsRequest())) == (UNAUTHENTICATED, UNKNOWN)
            assert who(alice) == ("alice", ["user"], True)

            dave = Client(channel, bearer(tokens.add("dave", "operator,viewer")))
            assert status(rpc_error(dave.WhoAmI, pb.WhoAmIRequest())) == (UNAUTHENTICATED, UNKNOWN), "in the file, not yet read"
            reload(server, "server.auth_reloaded")
            assert who(dave) == ("dave", ["operator", "viewer"], True)
            assert dave.ListWorkflows(pb.ListWorkflowsRequest()).workflows == []

            tokens.path.write_text(token_line("someone-new", "erin", "user") + "not-hex erin user\n")
            reload(server, "server.auth_reload_failed")
            assert who(dave) == ("dave", ["operator", "viewer"], True)
            assert who(alice) == ("alice", ["user"], True)
            assert status(rpc_error(carol.WhoAmI, pb.WhoAmIRequest())) == (UNAUTHENTICATED, UNKNOWN)
            erin = Client(channel, bearer("someone-new"))
            assert status(rpc_error(erin.WhoAmI, pb.WhoAmIRequest())) == (UNAUTHENTICATED, UNKNOWN), "nothing of the broken file"
    finally:
        server.stop()
    assert server.process.returncode == 0


def test_a_revoked_token_ends_the_streams_it_opened(tmp_path):
    """Streams check their credentials as they go: a watch ends UNAUTHENTICATED before it sends
    anything more, a worker's stream at its next message (the engine then forgets the worker)."""
    tokens = TokenFile(tmp_path / "tokens.txt", {"carol": "user", "root": "admin", "w": "worker:imports"})
    templates = tmp_path / "templates.conf"
    templates.write_text(TEMPLATES)
    server = Server("--auth", "tokens", "--auth-tokens", str(tokens.path), "--templates", str(templates), "--store", "memory")
    try:
        with grpc.insecure_channel(server.address) as channel:
            carol, root = Client(channel, bearer(tokens.tokens["carol"])), Client(channel, bearer(tokens.tokens["root"]))
            first = start(carol, **LONG)
            watch = carol.WatchLogs(pb.WatchLogsRequest(workflow_id=first), timeout=60)
            assert next(watch).kind == pb.LOG_EVENT_KIND_WORKFLOW_STARTED
            worker = RawWorker(channel, metadata=Client(channel, bearer(tokens.tokens["w"])).metadata)
            worker.hello(name="w", instance_id="w-1", queues=("imports",))
            assert [w.worker.name for w in root.ListWorkers(pb.ListWorkersRequest()).workers] == ["w"]
            everything = Collector(root, pb.WatchLogsRequest(live_only=True))

            tokens.remove("carol")
            tokens.remove("w")
            reload(server, "server.auth_reloaded")
            # The watch was following carol's running workflow: its next step ends it.
            with pytest.raises(grpc.RpcError) as ended:
                for event in watch:
                    assert event.workflow_id == first
            assert ended.value.code() == UNAUTHENTICATED, status(ended.value)
            assert ended.value.details() == UNKNOWN, "the words a new call gets"

            worker.send(heartbeat=pb.WorkerHeartbeat())
            with pytest.raises(grpc.RpcError) as refused:
                worker.next(timeout=10)
            assert refused.value.code() == UNAUTHENTICATED, status(refused.value)
            deadline = time.monotonic() + 10
            while root.ListWorkers(pb.ListWorkersRequest()).workers:
                assert time.monotonic() < deadline, "the revoked worker is still connected"
                time.sleep(0.05)
            root.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=first))

            # A token the reload left as it was keeps its stream.
            quick = start(root, **QUICK)
            deadline = time.monotonic() + 10
            while not everything.saw_end_of(quick):
                assert time.monotonic() < deadline and everything.error is None, status(everything.error)
                time.sleep(0.05)
            everything.stop()
    finally:
        server.stop()


GOOD_LINE = token_line("good-token", "alice", "user")


@pytest.mark.parametrize("third_line", [
    f"{hashlib.sha256(b'x').hexdigest()} bob\n",
    f"{'zz' * 32} bob user\n",
    f"{hashlib.sha256(b'x').hexdigest()}abc bob user\n",
    f"{hashlib.sha256(b'x').hexdigest()} bob user,superuser\n",
    f"{hashlib.sha256(b'x').hexdigest()} bob worker:\n",
    GOOD_LINE.replace("alice", "bob"),
], ids=["two-fields", "not-hex", "too-long", "unknown-role", "worker-without-queue", "same-token-twice"])
def test_a_bad_tokens_file_stops_the_server_at_start_naming_file_and_line(tmp_path, third_line):
    path = tmp_path / "tokens.txt"
    path.write_text("# tokens\n" + GOOD_LINE + third_line + token_line("other", "carol", "viewer"))
    result = subprocess.run([str(workflowd_binary()), "--port", "0", "--http-port", "0", "--store", "memory",
                             "--auth", "tokens", "--auth-tokens", str(path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 78, result
    assert str(path) in result.stderr and "line 3" in result.stderr, result.stderr


def test_an_unreadable_tokens_file_stops_the_server_at_start(tmp_path):
    path = tmp_path / "absent.txt"
    result = subprocess.run([str(workflowd_binary()), "--port", "0", "--http-port", "0", "--store", "memory",
                             "--auth", "tokens", "--auth-tokens", str(path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 78 and str(path) in result.stderr, result


def test_a_host_beyond_loopback_needs_auth():
    # --insecure: plaintext is allowed, so the missing --auth is what is refused.
    result = subprocess.run([str(workflowd_binary()), "--host", "0.0.0.0", "--insecure", "--port", "0", "--http-port", "0",
                             "--store", "memory"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 64, result
    assert "--auth" in result.stderr, result.stderr


# MARK: 2. JWTs


KEYS = SigningKeys()
OTHER_KEYS = SigningKeys()


@pytest.fixture(scope="module")
def jwt_channel(tmp_path_factory):
    """A channel to workflowd with --auth jwt and all three of KEYS: the secret and both public keys."""
    directory = tmp_path_factory.mktemp("auth-jwt")
    server = Server("--auth", "jwt", "--jwt-secret-file", str(KEYS.write_secret(directory / "secret")),
                    "--jwt-public-keys", str(write_public_keys(directory / "keys.pem", KEYS.ec, KEYS.rsa)), "--store", "memory")
    with grpc.insecure_channel(server.address) as channel:
        yield channel
    server.stop()


@pytest.mark.parametrize("algorithm", ["HS256", "ES256", "RS256"])
def test_tokens_of_each_algorithm_are_accepted(jwt_channel, algorithm):
    subject = f"{algorithm.lower()}-alice"
    client = Client(jwt_channel, bearer(KEYS.sign(claims(subject, roles=["user", "viewer"]), algorithm)))
    assert who(client) == (subject, ["user", "viewer"], True)
    workflow_id = start(client, user_id="bob", **QUICK)
    workflow = client.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id))
    assert (workflow.user_id, workflow.started_by) == (subject, subject)


@pytest.mark.parametrize("payload", [
    claims("listed", audience=["billing", "workflowd"]),
    claims("late-clock", lifetime=-10),
    claims("early-clock", not_before=10),
    claims("not-before-now", not_before=-60),
], ids=["audience-list", "expired-within-skew", "nbf-within-skew", "nbf-passed"])
def test_audience_lists_and_the_clock_skew_are_accepted(jwt_channel, payload):
    client = Client(jwt_channel, bearer(KEYS.sign(payload, "ES256")))
    assert who(client) == (payload["sub"], ["user"], True)


def tampered(token: str) -> str:
    """`token` with its payload replaced by one claiming admin, the signature kept."""
    header, _, signature = token.split(".")
    forged = KEYS.sign(claims("mallory", roles=["admin"]), "HS256").split(".")[1]
    return f"{header}.{forged}.{signature}"


REFUSED = {
    "expired": (lambda: KEYS.sign(claims(lifetime=-120), "ES256"), "the token has expired"),
    "nbf-in-the-future": (lambda: KEYS.sign(claims(not_before=120), "RS256"), "the token is not valid yet (nbf)"),
    "wrong-audience": (lambda: KEYS.sign(claims(audience="billing"), "HS256"), "the token's audience (aud) does not include workflowd"),
    "no-audience": (lambda: KEYS.sign(claims(audience=None), "ES256"), "the token's audience (aud) does not include workflowd"),
    "no-exp": (lambda: KEYS.sign(claims(lifetime=None), "ES256"), "the token has no exp claim"),
    "no-sub": (lambda: KEYS.sign(claims(subject=None), "RS256"), "the token has no subject (sub)"),
    "empty-sub": (lambda: KEYS.sign(claims(subject=""), "HS256"), "the token has no subject (sub)"),
    "hs256-other-secret": (lambda: OTHER_KEYS.sign(claims(), "HS256"), "the token's signature does not verify"),
    "es256-other-key": (lambda: OTHER_KEYS.sign(claims(), "ES256"), "the token's signature does not verify"),
    "rs256-other-key": (lambda: OTHER_KEYS.sign(claims(), "RS256"), "the token's signature does not verify"),
    "payload-tampered": (lambda: tampered(KEYS.sign(claims(), "ES256")), "the token's signature does not verify"),
    "alg-none": (lambda: unsigned_token(claims("mallory", roles=["admin"])), None),
    "hs512": (lambda: hmac_token(claims(), KEYS.secret.encode(), "HS512"), "the token is signed with HS512, for which this server has no key"),
    "hs256-with-the-rsa-public-key": (lambda: hmac_token(claims(roles=["admin"]), public_pem(KEYS.rsa)), "the token's signature does not verify"),
    "hs256-with-the-ec-public-key": (lambda: hmac_token(claims(roles=["admin"]), public_pem(KEYS.ec)), "the token's signature does not verify"),
    "unknown-role": (lambda: KEYS.sign(claims(roles=["user", "superuser"]), "ES256"), None),
    "not-a-jwt": (lambda: "not-a-jwt", "the token is not a well-formed JWT"),
    "three-garbage-parts": (lambda: "abc.def.ghi", "the token is not a well-formed JWT"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_bad_jwts_are_unauthenticated(jwt_channel, case):
    make, message = REFUSED[case]
    client = Client(jwt_channel, bearer(make()))
    for call, request in ((client.WhoAmI, pb.WhoAmIRequest()), (client.ListWorkflows, pb.ListWorkflowsRequest())):
        error = rpc_error(call, request)
        assert error.code() == UNAUTHENTICATED, status(error)
        if case == "alg-none":  # refused as malformed or as an algorithm without a key
            assert error.details() in ("the token is not a well-formed JWT",
                                       "the token is signed with none, for which this server has no key"), error.details()
        elif message is not None:  # the contract words no message for an unknown role
            assert error.details() == message


def test_a_jwt_without_roles_authenticates_but_may_do_nothing(jwt_channel):
    client = Client(jwt_channel, bearer(KEYS.sign(claims("nobody", roles=None), "ES256")))
    assert who(client) == ("nobody", [], True)
    error = rpc_error(client.ListWorkflows, pb.ListWorkflowsRequest())
    assert error.code() == PERMISSION_DENIED and error.details().startswith("nobody ("), status(error)


def test_a_custom_audience_and_key_rotation_on_sighup(tmp_path):
    """--jwt-audience custom and public keys only: tokens must name `custom`; HS256 has no key
    (not even the public key as a secret); SIGHUP drops a removed key's tokens, cached or not."""
    retired, kept, added = SigningKeys(), SigningKeys(), SigningKeys()
    keys = write_public_keys(tmp_path / "keys.pem", retired.ec, kept.rsa)
    server = Server("--auth", "jwt", "--jwt-public-keys", str(keys), "--jwt-audience", "custom", "--store", "memory")
    try:
        with grpc.insecure_channel(server.address) as channel:
            def client(token: str) -> Client:
                return Client(channel, bearer(token))

            old = client(retired.sign(claims("old", audience="custom"), "ES256"))
            steady = client(kept.sign(claims("steady", audience=["x", "custom"]), "RS256"))
            assert who(old) == ("old", ["user"], True)
            assert who(steady) == ("steady", ["user"], True)
            default_audience = client(kept.sign(claims("steady"), "RS256"))
            assert status(rpc_error(default_audience.WhoAmI, pb.WhoAmIRequest())) == (
                UNAUTHENTICATED, "the token's audience (aud) does not include custom")
            for key in (retired.ec, kept.rsa):
                confused = client(hmac_token(claims("mallory", roles=["admin"], audience="custom"), public_pem(key)))
                assert status(rpc_error(confused.WhoAmI, pb.WhoAmIRequest())) == (
                    UNAUTHENTICATED, "the token is signed with HS256, for which this server has no key")

            write_public_keys(keys, kept.rsa, added.ec)
            reload(server, "server.auth_reloaded")
            # `old` was verified (and cached) before; its key is gone now.
            assert status(rpc_error(old.WhoAmI, pb.WhoAmIRequest())) == (UNAUTHENTICATED, "the token's signature does not verify")
            assert who(steady) == ("steady", ["user"], True)
            new = client(added.sign(claims("new", audience="custom"), "ES256"))
            assert who(new) == ("new", ["user"], True)

            keys.write_text("not a key\n")
            reload(server, "server.auth_reload_failed")
            assert who(steady) == ("steady", ["user"], True)
            assert who(new) == ("new", ["user"], True)
            assert rpc_error(old.WhoAmI, pb.WhoAmIRequest()).code() == UNAUTHENTICATED
    finally:
        server.stop()


# MARK: 3. what each role may do


def test_a_user_starts_only_for_itself_and_an_admin_for_anyone(site, workflows):
    root, ops = site.client("root"), site.client("ops")
    running = root.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflows.running, omit_steps=True))
    assert (running.user_id, running.started_by) == ("alice", "alice")
    for_bob = root.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflows.for_bob, omit_steps=True))
    assert (for_bob.user_id, for_bob.started_by) == ("bob", "root")
    own = root.GetWorkflow(pb.GetWorkflowRequest(workflow_id=start(root, **QUICK), omit_steps=True))
    assert (own.user_id, own.started_by) == ("root", "root")
    # Only an admin acts for others: an operator's user_id is its own too.
    by_ops = root.GetWorkflow(pb.GetWorkflowRequest(workflow_id=start(ops, user_id="bob", **QUICK), omit_steps=True))
    assert (by_ops.user_id, by_ops.started_by) == ("ops", "ops")


def test_another_users_workflow_is_not_found_exactly_as_an_unknown_id(site, workflows):
    alice, bob = site.client("alice"), site.client("bob")
    artifact = workflows.artifact
    calls = {
        "GetWorkflow": (bob.GetWorkflow, lambda id: pb.GetWorkflowRequest(workflow_id=id), workflows.running),
        "ListSteps": (bob.ListSteps, lambda id: pb.ListStepsRequest(workflow_id=id), workflows.running),
        "WatchLogs": (bob.WatchLogs, lambda id: pb.WatchLogsRequest(workflow_id=id), workflows.running),
        "CancelWorkflow": (bob.CancelWorkflow, lambda id: pb.CancelWorkflowRequest(workflow_id=id), workflows.running),
        "RetryWorkflow": (bob.RetryWorkflow, lambda id: pb.RetryWorkflowRequest(workflow_id=id), workflows.failed),
        "DownloadArtifact": (bob.DownloadArtifact, lambda id: pb.DownloadArtifactRequest(artifact_id=f"{id}.{artifact.name}"),
                             workflows.export),
    }
    for method, (call, request, workflow_id) in calls.items():
        theirs = rpc_error(call, request(workflow_id))
        unknown = rpc_error(call, request(made_up(workflow_id)))
        assert theirs.code() == unknown.code() == NOT_FOUND, (method, status(theirs), status(unknown))
        assert theirs.details() == unknown.details().replace(made_up(workflow_id), workflow_id), (method, theirs.details())
        assert f'no workflow with id "{workflow_id}"' in theirs.details(), (method, theirs.details())

    # Nothing changed, and alice herself reads all of it.
    running = alice.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflows.running, omit_steps=True))
    assert (running.status, running.cancelled_by) == (pb.WORKFLOW_STATUS_RUNNING, "")
    failed = alice.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflows.failed, omit_steps=True))
    assert (failed.status, failed.attempt, failed.retried_by) == (pb.WORKFLOW_STATUS_FAILED, 1, "")
    assert alice.ListSteps(pb.ListStepsRequest(workflow_id=workflows.failed)).steps
    content = b"".join(chunk.data for chunk in alice.DownloadArtifact(pb.DownloadArtifactRequest(artifact_id=artifact.id)))
    assert hashlib.sha256(content).hexdigest() == artifact.sha256


def test_a_user_lists_and_counts_only_its_own(site, workflows):
    bob, root, view = site.client("bob"), site.client("root"), site.client("view")
    listed = bob.ListWorkflows(pb.ListWorkflowsRequest(page_size=1000)).workflows
    assert {workflow.user_id for workflow in listed} == {"bob"}
    assert {workflows.bobs, workflows.for_bob} <= {workflow.id for workflow in listed}
    everyone = root.ListWorkflows(pb.ListWorkflowsRequest(page_size=1000)).workflows
    assert {workflows.running, workflows.failed} <= {workflow.id for workflow in everyone}
    assert [w.id for w in bob.ListWorkflows(pb.ListWorkflowsRequest(page_size=1000, user_id="bob")).workflows] == [w.id for w in listed]
    assert [w.id for w in view.ListWorkflows(pb.ListWorkflowsRequest(page_size=1000)).workflows] == [w.id for w in everyone]

    counted = sum(count.count for count in bob.CountWorkflows(pb.CountWorkflowsRequest()).counts)
    assert counted == len(listed)
    assert sum(count.count for count in root.CountWorkflows(pb.CountWorkflowsRequest()).counts) == len(everyone) > counted

    for call, request in ((bob.ListWorkflows, pb.ListWorkflowsRequest(user_id="alice")),
                          (bob.CountWorkflows, pb.CountWorkflowsRequest(user_id="alice")),
                          (bob.WatchLogs, pb.WatchLogsRequest(user_id="alice"))):
        error = rpc_error(call, request)
        assert error.code() == PERMISSION_DENIED and error.details().startswith("user_id: bob sees only its own workflows"), status(error)
    hers = view.ListWorkflows(pb.ListWorkflowsRequest(page_size=1000, user_id="alice")).workflows
    assert hers and {workflow.user_id for workflow in hers} == {"alice"}


def test_request_ids_are_per_user(site):
    """bob's start with alice's request id is a workflow of his own, and nothing bob gets back
    names hers; each of them repeating a request gets their own workflow again."""
    alice, bob, root = site.client("alice"), site.client("bob"), site.client("root")
    request = pb.StartWorkflowRequest(type="TEST", params=LONG, request_id="r-1")
    other_request = pb.StartWorkflowRequest(type="TEST", params=QUICK, request_id="r-1")
    hers = alice.StartWorkflow(request)
    assert hers.status == pb.WORKFLOW_STATUS_RUNNING
    to_bob: list[str] = []  # every answer and error bob receives, as text
    try:
        refusal = None
        try:
            his = bob.StartWorkflow(request)
        except grpc.RpcError as error:
            refusal = status(error)
        if refusal is not None:
            leak = " naming alice's workflow" if hers.workflow_id in refusal[1] else ""
            pytest.fail(f"bob's start with alice's request id was refused{leak}: {refusal}")
        to_bob.append(str(his))
        assert his.status == pb.WORKFLOW_STATUS_RUNNING and his.workflow_id != hers.workflow_id, (his, hers)
        repeated = bob.StartWorkflow(request)
        to_bob.append(str(repeated))
        assert repeated.workflow_id == his.workflow_id
        differing = rpc_error(bob.StartWorkflow, other_request)
        to_bob.append(error_text := f"{differing.code()} {differing.details()}")
        assert differing.code() == grpc.StatusCode.ALREADY_EXISTS and his.workflow_id in differing.details(), error_text
        workflow = bob.GetWorkflow(pb.GetWorkflowRequest(workflow_id=his.workflow_id, omit_steps=True))
        to_bob.append(str(workflow))
        assert (workflow.user_id, workflow.started_by, workflow.request_id) == ("bob", "bob", "r-1")
        to_bob.append(str(bob.ListWorkflows(pb.ListWorkflowsRequest(page_size=1000))))

        again = alice.StartWorkflow(request)
        assert again.workflow_id == hers.workflow_id
        differing = rpc_error(alice.StartWorkflow, other_request)
        assert differing.code() == grpc.StatusCode.ALREADY_EXISTS and hers.workflow_id in differing.details(), status(differing)
        theirs = root.GetWorkflow(pb.GetWorkflowRequest(workflow_id=hers.workflow_id, omit_steps=True))
        assert (theirs.user_id, theirs.request_id) == ("alice", "r-1")
        assert not [text for text in to_bob if hers.workflow_id in text], "bob was told alice's workflow id"
    finally:
        root.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=hers.workflow_id))
        for workflow in root.ListWorkflows(pb.ListWorkflowsRequest(page_size=1000, user_id="bob")).workflows:
            if workflow.request_id == "r-1" and workflow.status == pb.WORKFLOW_STATUS_RUNNING:
                root.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=workflow.id))


class Collector:
    """A WatchLogs call read in a thread until `stop`."""

    def __init__(self, client: Client, request: pb.WatchLogsRequest):
        self.events: list = []
        self.error: grpc.RpcError | None = None
        self._call = client.WatchLogs(request, timeout=60)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        try:
            for event in self._call:
                self.events.append(event)
        except grpc.RpcError as error:
            self.error = error

    def saw_end_of(self, workflow_id: str) -> bool:
        return any(event.workflow_id == workflow_id and event.kind in TERMINAL for event in list(self.events))

    def stop(self):
        self._call.cancel()
        self._thread.join(timeout=10)
        assert self.error is None or self.error.code() == grpc.StatusCode.CANCELLED, status(self.error)


def test_watching_everything_yields_only_the_users_own_events(site, workflows):
    alice, bob, root = site.client("alice"), site.client("bob"), site.client("root")
    earlier = start(alice, **QUICK)
    wait_until_ended(root, earlier)
    alices_job = root.GetWorkflow(pb.GetWorkflowRequest(workflow_id=earlier, omit_steps=True)).jobs[0].id
    filters = {
        "none": {},
        "type": {"workflow_type": "TEST"},
        "kinds": {"kinds": [pb.LOG_EVENT_KIND_WORKFLOW_STARTED, pb.LOG_EVENT_KIND_STEP_LOGGED]},
        "entity": {"entity_tag": "ITEM-1-1"},
        "level": {"min_level": pb.LOG_LEVEL_INFO},
        "alice's job": {"job_id": alices_job},
    }
    bobs = {name: Collector(bob, pb.WatchLogsRequest(**request)) for name, request in filters.items()}
    roots = {name: Collector(root, pb.WatchLogsRequest(**request)) for name, request in filters.items()}
    own = Collector(bob, pb.WatchLogsRequest(user_id="bob"))
    try:
        # Both run live under the watches (about a second), besides alice's long-running one.
        hers = start(alice, jobs="2", steps="10", step_delay_ms="50")
        his = start(bob, jobs="2", steps="10", step_delay_ms="50")
        wait_until_ended(root, hers)
        wait_until_ended(root, his)
        deadline = time.monotonic() + 10
        while not (all(bobs[name].saw_end_of(his) for name in filters if name != "alice's job") and own.saw_end_of(his)
                   and all(roots[name].saw_end_of(hers) for name in filters if name != "alice's job")
                   and roots["alice's job"].saw_end_of(earlier)):
            assert time.monotonic() < deadline, "the watches did not all see the workflows end"
            time.sleep(0.05)
        time.sleep(0.2)  # anything wrongly sent after the terminal events arrives too
    finally:
        for collector in [*bobs.values(), *roots.values(), own]:
            collector.stop()

    bob_owned = {w.id for w in root.ListWorkflows(pb.ListWorkflowsRequest(page_size=1000, user_id="bob")).workflows}
    for name, collector in [*bobs.items(), ("user_id bob", own)]:
        strangers = [(event.workflow_id, event.user_id, pb.LogEventKind.Name(event.kind)) for event in collector.events
                     if event.user_id != "bob" or event.workflow_id not in bob_owned]
        assert not strangers, (name, strangers[:5])
    for name in filters:
        if name != "alice's job":
            assert his in {event.workflow_id for event in bobs[name].events}, name
        # The filter matches alice's events: the admin watching with it gets them.
        assert any(event.user_id == "alice" for event in roots[name].events), name
    # (Terminal events of every workflow pass a job filter: only bob's may come.)
    assert earlier not in {event.workflow_id for event in bobs["alice's job"].events}
    assert any(event.workflow_id == earlier and event.job_id == alices_job for event in roots["alice's job"].events)


def test_an_operator_cancels_and_retries_anyones_workflows_and_a_user_its_own(site, workflows):
    alice, ops, root = site.client("alice"), site.client("ops"), site.client("root")
    for controller in (ops, alice):
        subject = who(controller)[0]
        running = start(alice, **LONG)
        controller.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=running, reason="test"))
        cancelled = wait_until_ended(root, running)
        assert (cancelled.status, cancelled.cancelled_by) == (pb.WORKFLOW_STATUS_CANCELLED, subject)

        failed = start(alice, **FAILING)
        assert wait_until_ended(root, failed).status == pb.WORKFLOW_STATUS_FAILED
        assert controller.RetryWorkflow(pb.RetryWorkflowRequest(workflow_id=failed)).attempt == 2
        retried = wait_until_ended(root, failed)
        assert (retried.attempt, retried.retried_by, retried.started_by) == (2, subject, "alice")
    listed = {workflow.id for workflow in ops.ListWorkflows(pb.ListWorkflowsRequest(page_size=1000)).workflows}
    assert {workflows.running, workflows.bobs, workflows.for_bob} <= listed
    assert ops.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflows.bobs)).user_id == "bob"
    ops.ListWorkers(pb.ListWorkersRequest())  # raises unless allowed


def test_a_viewer_reads_everything_and_changes_nothing(site, workflows):
    view, root = site.client("view"), site.client("root")
    assert view.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflows.running, omit_steps=True)).user_id == "alice"
    assert view.ListSteps(pb.ListStepsRequest(workflow_id=workflows.failed)).steps
    assert events_of(view, workflows.failed)[-1].kind == pb.LOG_EVENT_KIND_WORKFLOW_FAILED
    assert {workflow.user_id for workflow in view.ListWorkflows(pb.ListWorkflowsRequest(page_size=1000)).workflows} >= {"alice", "bob"}
    assert view.CountWorkflows(pb.CountWorkflowsRequest()).counts
    content = b"".join(chunk.data for chunk in view.DownloadArtifact(pb.DownloadArtifactRequest(artifact_id=workflows.artifact.id)))
    assert hashlib.sha256(content).hexdigest() == workflows.artifact.sha256
    view.ListWorkers(pb.ListWorkersRequest())
    view.ListAssets(pb.ListAssetsRequest())

    refused = {
        "start": lambda: view.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params=QUICK)),
        "retry": lambda: view.RetryWorkflow(pb.RetryWorkflowRequest(workflow_id=workflows.failed)),
        "cancel": lambda: view.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=workflows.running)),
        "upload": lambda: upload(view, b"tag,type\nP-1,Pump\n"),
    }
    for action, call in refused.items():
        assert_denied(rpc_error(call), "view")
    running = root.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflows.running, omit_steps=True))
    failed = root.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflows.failed, omit_steps=True))
    assert (running.status, failed.status, failed.attempt) == (pb.WORKFLOW_STATUS_RUNNING, pb.WORKFLOW_STATUS_FAILED, 1)


def test_a_worker_token_serves_its_queue_and_reads_files_and_nothing_else(site, workflows):
    worker, alice, root = site.client("w-imp"), site.client("alice"), site.client("root")
    assert who(worker) == ("w-imp", ["worker:imports"], True)
    calls = {
        "StartWorkflow": lambda: worker.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params=QUICK)),
        "GetWorkflow": lambda: worker.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflows.running)),
        "WatchLogs": lambda: worker.WatchLogs(pb.WatchLogsRequest()),
        "RetryWorkflow": lambda: worker.RetryWorkflow(pb.RetryWorkflowRequest(workflow_id=workflows.failed)),
        "CancelWorkflow": lambda: worker.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=workflows.running)),
        "ListWorkflows": lambda: worker.ListWorkflows(pb.ListWorkflowsRequest()),
        "ListSteps": lambda: worker.ListSteps(pb.ListStepsRequest(workflow_id=workflows.failed)),
        "CountWorkflows": lambda: worker.CountWorkflows(pb.CountWorkflowsRequest()),
        "UploadFile": lambda: upload(worker, b"tag,type\n"),
        "ListAssets": lambda: worker.ListAssets(pb.ListAssetsRequest()),
        "GetAsset": lambda: worker.GetAsset(pb.GetAssetRequest(tag="P-101")),
    }
    assert set(calls) == set(WORKFLOW_SERVICE.methods_by_name) - {"DownloadFile", "DownloadArtifact", "WhoAmI"}
    for method, call in calls.items():
        assert_denied(rpc_error(call), "w-imp")
    assert_denied(rpc_error(worker.ListWorkers, pb.ListWorkersRequest()), "w-imp")

    # Workers read job files: uploads and artifacts, whoever's.
    content = b"tag,type,name\nP-9,Pump,Spare pump\n"
    uploaded = upload(alice, content)
    assert b"".join(chunk.data for chunk in worker.DownloadFile(pb.DownloadFileRequest(file_id=uploaded.file_id))) == content
    artifact = b"".join(chunk.data for chunk in worker.DownloadArtifact(pb.DownloadArtifactRequest(artifact_id=workflows.artifact.id)))
    assert hashlib.sha256(artifact).hexdigest() == workflows.artifact.sha256

    serving = RawWorker(site.channel, metadata=worker.metadata)
    serving.hello(name="importer", instance_id="imp-1", queues=("imports",))
    workflow_id = start(alice, type="REMOTE_IMPORT")
    assignment = serving.next_of("assignment")
    assert (assignment.lease.workflow_id, assignment.queue, assignment.user_id) == (workflow_id, "imports", "alice")
    serving.report(assignment.lease, 1, steps=["imported"], end="completed")
    assert serving.next_of("ack").sequence == 1
    assert wait_until_ended(root, workflow_id).status == pb.WORKFLOW_STATUS_COMPLETED
    serving.close()

    for queues in (["exports"], ["imports", "exports"]):
        other = RawWorker(site.channel, metadata=worker.metadata)
        other.send(hello=pb.WorkerHello(name="importer", instance_id="imp-2", queues=queues, slots=1))
        with pytest.raises(grpc.RpcError) as refused:
            other.next()
        assert refused.value.code() == PERMISSION_DENIED, (queues, status(refused.value))
        assert refused.value.details().startswith('queues: w-imp may not serve queue "exports"'), refused.value.details()

    not_a_worker = RawWorker(site.channel, metadata=alice.metadata)
    not_a_worker.send(hello=pb.WorkerHello(name="alice", instance_id="alice-1", queues=["imports"], slots=1))
    with pytest.raises(grpc.RpcError) as refused:
        not_a_worker.next()
    assert_denied(refused.value, "alice")


def test_a_held_lease_comes_back_only_while_the_hello_lists_its_queue(site):
    """A worker that may serve queues a and b takes a lease of queue a; reconnecting with that
    lease held and queue a, it gets it back; reconnecting with queue b only, it does not (the
    lease is cancelled as ended, and a report under it is refused)."""
    worker, alice, root = site.client("w-ab"), site.client("alice"), site.client("root")
    first = RawWorker(site.channel, metadata=worker.metadata)
    first.hello(name="ab", instance_id="ab-1", queues=("a",))
    workflow_id = start(alice, type="REMOTE_A")
    try:
        assignment = first.next_of("assignment")
        lease = assignment.lease
        assert (lease.workflow_id, assignment.queue) == (workflow_id, "a")
        first.report(lease, 1, steps=["first half"])
        assert first.next_of("ack").sequence == 1
        first.cancel()

        # With queue a in its hello, the same instance gets its lease back.
        again = RawWorker(site.channel, metadata=worker.metadata)
        welcome = again.hello(name="ab", instance_id="ab-1", queues=("a",), held_leases=[lease])
        assert [(resumed.lease, resumed.sequence) for resumed in welcome.resumed_leases] == [(lease, 1)]
        again.cancel()

        # Without it (queue b only, which it may serve), the lease is not its again.
        serving_b = RawWorker(site.channel, metadata=worker.metadata)
        welcome = serving_b.hello(name="ab", instance_id="ab-1", queues=("b",), held_leases=[lease])
        assert list(welcome.resumed_leases) == [], welcome
        cancellation = serving_b.next_of("cancellation")
        assert (cancellation.lease, cancellation.lease_ended) == (lease, True), cancellation
        serving_b.report(lease, 2, steps=["second half"], end="completed")
        refusal = serving_b.next_of("refusal")
        assert (refusal.sequence, refusal.code) == (2, grpc.StatusCode.FAILED_PRECONDITION.value[0]), refusal
        workflow = root.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id))
        assert workflow.status == pb.WORKFLOW_STATUS_RUNNING, pb.WorkflowStatus.Name(workflow.status)
        assert [step.message for job in workflow.jobs for step in job.steps] == ["first half"]
        serving_b.cancel()
    finally:
        root.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=workflow_id))


# MARK: 4. audit


def audit_trail(client: Client, workflow_ids: list[str]) -> dict:
    """Per workflow: (user_id, started_by, retried_by, cancelled_by) and its audited events as
    (kind, actor, message); also the summaries' fields of ListWorkflows."""
    trail = {}
    summaries = {w.id: w for w in client.ListWorkflows(pb.ListWorkflowsRequest(page_size=1000)).workflows}
    for workflow_id in workflow_ids:
        workflow = client.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id, omit_steps=True))
        summary = summaries[workflow_id]
        events = events_of(client, workflow_id)
        assert all(event.actor == "" for event in events if event.kind not in AUDITED), \
            [(pb.LogEventKind.Name(e.kind), e.actor) for e in events if e.actor]
        trail[workflow_id] = {
            "workflow": (workflow.user_id, workflow.started_by, workflow.retried_by, workflow.cancelled_by),
            "summary": (summary.user_id, summary.started_by, summary.retried_by, summary.cancelled_by),
            "events": [(pb.LogEventKind.Name(e.kind).removeprefix("LOG_EVENT_KIND_"), e.actor, e.message)
                       for e in events if e.kind in AUDITED],
        }
    return trail


def test_who_started_retried_and_cancelled_is_recorded_and_survives_a_restart(tmp_path):
    tokens = TokenFile(tmp_path / "tokens.txt", {"alice": "user", "ops": "operator", "root": "admin"})
    arguments = ("--auth", "tokens", "--auth-tokens", str(tokens.path))
    data_dir = str(tmp_path / "data")
    server = Server(*arguments, data_dir=data_dir)
    try:
        with grpc.insecure_channel(server.address) as channel:
            alice, ops, root = (Client(channel, bearer(tokens.tokens[name])) for name in ("alice", "ops", "root"))
            cancelled = start(alice, **LONG)
            ops.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=cancelled, reason="maintenance window"))
            failed = start(alice, **FAILING)
            wait_until_ended(root, failed)
            ops.RetryWorkflow(pb.RetryWorkflowRequest(workflow_id=failed))
            for_bob = start(root, user_id="bob", **QUICK)
            for workflow_id in (cancelled, failed, for_bob):
                wait_until_ended(root, workflow_id)
            before = audit_trail(root, [cancelled, failed, for_bob])
    finally:
        server.stop()

    assert before[cancelled]["workflow"] == before[cancelled]["summary"] == ("alice", "alice", "", "ops")
    assert before[cancelled]["events"] == [
        ("WORKFLOW_STARTED", "alice", "Workflow TEST started with 2 jobs by alice"),
        ("WORKFLOW_CANCEL_REQUESTED", "ops", "Workflow TEST cancel requested by ops: maintenance window"),
    ]
    assert before[failed]["workflow"] == before[failed]["summary"] == ("alice", "alice", "ops", "")
    (started, starter, _), (retried, retrier, retry_message) = before[failed]["events"]
    assert (started, starter, retried, retrier) == ("WORKFLOW_STARTED", "alice", "WORKFLOW_RETRIED", "ops")
    assert retry_message.endswith(" by ops"), retry_message
    assert before[for_bob]["workflow"] == before[for_bob]["summary"] == ("bob", "root", "", "")
    assert before[for_bob]["events"] == [("WORKFLOW_STARTED", "root", "Workflow TEST started with 2 jobs by root")]

    server = Server(*arguments, data_dir=data_dir)
    try:
        with grpc.insecure_channel(server.address) as channel:
            after = audit_trail(Client(channel, bearer(tokens.tokens["root"])), [cancelled, failed, for_bob])
    finally:
        server.stop()
    assert after == before


# MARK: 5. client certificates


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return AuthPKI(tmp_path_factory.mktemp("auth-pki"))


def test_a_listed_client_certificate_is_a_caller_and_a_token_wins_over_it(pki, tmp_path):
    tokens = TokenFile(tmp_path / "tokens.txt", {"alice": "user"})
    roles = tmp_path / "certificate-roles.txt"
    roles.write_text("# certificate identity   roles\nsvc-orders operator\n")
    server = Server(*tls_arguments(pki, mutual=True), "--auth", "tokens", "--auth-tokens", str(tokens.path),
                    "--certificate-roles", str(roles), "--store", "memory")
    try:
        with secure_channel(server, pki, client=pki.client) as channel:
            service = Client(channel, None)
            assert who(service) == ("svc-orders", ["operator"], True)
            theirs = start(service, **QUICK)
            workflow = service.GetWorkflow(pb.GetWorkflowRequest(workflow_id=theirs))
            assert workflow.started_by == "svc-orders"
            assert theirs in {w.id for w in service.ListWorkflows(pb.ListWorkflowsRequest()).workflows}

            alice = Client(channel, bearer(tokens.tokens["alice"]))
            assert who(alice) == ("alice", ["user"], True)
            assert status(rpc_error(alice.GetWorkflow, pb.GetWorkflowRequest(workflow_id=theirs))) == (
                NOT_FOUND, f'no workflow with id "{theirs}"')
            hers = start(alice, **QUICK)
            assert service.GetWorkflow(pb.GetWorkflowRequest(workflow_id=hers)).started_by == "alice"
            # A token that is no good is refused: the certificate does not stand in for it.
            assert status(rpc_error(Client(channel, "Bearer forged").WhoAmI, pb.WhoAmIRequest())) == (UNAUTHENTICATED, UNKNOWN)

        with secure_channel(server, pki, client=pki.unlisted_client) as channel:
            error = rpc_error(Client(channel, None).WhoAmI, pb.WhoAmIRequest())
            assert error.code() == UNAUTHENTICATED and "--certificate-roles" in error.details(), status(error)
            assert who(Client(channel, bearer(tokens.tokens["alice"]))) == ("alice", ["user"], True)
    finally:
        server.stop()


def test_without_auth_the_client_certificate_is_recorded_as_actor(pki):
    server = Server(*tls_arguments(pki, mutual=True), "--auth", "off", "--store", "memory")
    try:
        with secure_channel(server, pki, client=pki.client) as channel:
            client = Client(channel, None)
            assert who(client) == ("svc-orders", ["admin"], False)
            workflow_id = start(client, user_id="carol", **QUICK)
            workflow = wait_until_ended(client, workflow_id)
            assert (workflow.user_id, workflow.started_by) == ("carol", "svc-orders")
            started = events_of(client, workflow_id)[0]
            assert (started.kind, started.actor) == (pb.LOG_EVENT_KIND_WORKFLOW_STARTED, "svc-orders")
            assert started.message.endswith(" by svc-orders"), started.message
    finally:
        server.stop()


# MARK: 6. workflowctl


def workflowctl(site: Site, *arguments: str, **env: str) -> subprocess.CompletedProcess:
    """workflowctl against `site`, with `env` and without a WORKFLOWCTL_TOKEN of the caller's."""
    environment = {name: value for name, value in clean_env().items() if name != "WORKFLOWCTL_TOKEN"}
    environment.update(env)
    return subprocess.run([str(workflowctl_binary()), *arguments, "--address", site.server.address],
                          capture_output=True, text=True, timeout=60, env=environment)


def test_workflowctl_sends_the_token_option(site, workflows):
    listed = workflowctl(site, "list", "--json", "--limit", "1000", "--token", site.tokens.tokens["bob"])
    assert listed.returncode == 0, listed.stderr
    ids = {line["id"] for line in json_lines(listed.stdout)}
    assert {workflows.bobs, workflows.for_bob} <= ids and workflows.running not in ids

    started = workflowctl(site, "start", "TEST", "--param", "steps=1", "--token", site.tokens.tokens["alice"])
    assert started.returncode == 0, started.stderr
    workflow = site.client("root").GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.stdout.strip(), omit_steps=True))
    assert (workflow.user_id, workflow.started_by) == ("alice", "alice")


def test_workflowctl_sends_the_token_of_the_environment(site, workflows):
    listed = workflowctl(site, "list", "--json", "--limit", "1000", WORKFLOWCTL_TOKEN=site.tokens.tokens["root"])
    assert listed.returncode == 0, listed.stderr
    assert {workflows.bobs, workflows.running} <= {line["id"] for line in json_lines(listed.stdout)}


def test_workflowctl_without_a_good_token_exits_3_naming_the_option(site):
    for refused in (workflowctl(site, "list"), workflowctl(site, "list", "--token", "not-a-token")):
        assert refused.returncode == 3, refused
        assert "--token" in refused.stderr, refused.stderr


# MARK: 7. tokens over TLS


def test_static_tokens_over_tls_are_checked_and_revoked(pki, tmp_path):
    tokens = TokenFile(tmp_path / "tokens.txt", {"alice": "user", "carol": "user"})
    server = Server(*tls_arguments(pki), "--auth", "tokens", "--auth-tokens", str(tokens.path), "--store", "memory")
    try:
        with secure_channel(server, pki) as channel:
            refused = {None: MISSING, "Bearer": NOT_BEARER, "Basic eDp5": NOT_BEARER, "Bearer two tokens": NOT_BEARER,
                       "Bearer forged-token-of-nobody": UNKNOWN}
            for authorization, message in refused.items():
                client = Client(channel, authorization)
                calls = ((client.WhoAmI, pb.WhoAmIRequest()), (client.StartWorkflow, pb.StartWorkflowRequest(type="TEST")))
                for call, request in calls:
                    assert status(rpc_error(call, request)) == (UNAUTHENTICATED, message), authorization

            alice, carol = Client(channel, bearer(tokens.tokens["alice"])), Client(channel, bearer(tokens.tokens["carol"]))
            assert who(alice) == ("alice", ["user"], True)
            workflow = alice.GetWorkflow(pb.GetWorkflowRequest(workflow_id=start(alice, **QUICK), omit_steps=True))
            assert (workflow.user_id, workflow.started_by) == ("alice", "alice")
            assert who(carol) == ("carol", ["user"], True)
            tokens.remove("carol")
            reload(server, "server.auth_reloaded")
            assert status(rpc_error(carol.WhoAmI, pb.WhoAmIRequest())) == (UNAUTHENTICATED, UNKNOWN)
            assert status(rpc_error(carol.ListWorkflows, pb.ListWorkflowsRequest())) == (UNAUTHENTICATED, UNKNOWN)
            assert who(alice) == ("alice", ["user"], True)
    finally:
        server.stop()
    assert server.process.returncode == 0


def test_jwts_over_tls_are_checked(pki, tmp_path):
    server = Server(*tls_arguments(pki), "--auth", "jwt", "--jwt-secret-file", str(KEYS.write_secret(tmp_path / "secret")),
                    "--store", "memory")
    try:
        with secure_channel(server, pki) as channel:
            refused = {
                "missing": (None, MISSING),
                "not bearer": (f"Basic {KEYS.sign(claims(), 'HS256')}", NOT_BEARER),
                "malformed": (bearer("not-a-jwt"), "the token is not a well-formed JWT"),
                "expired": (bearer(KEYS.sign(claims(lifetime=-120), "HS256")), "the token has expired"),
                "wrong audience": (bearer(KEYS.sign(claims(audience="billing"), "HS256")),
                                   "the token's audience (aud) does not include workflowd"),
                "another secret": (bearer(OTHER_KEYS.sign(claims(), "HS256")), "the token's signature does not verify"),
            }
            for case, (authorization, message) in refused.items():
                client = Client(channel, authorization)
                for call, request in ((client.WhoAmI, pb.WhoAmIRequest()), (client.ListWorkflows, pb.ListWorkflowsRequest())):
                    assert status(rpc_error(call, request)) == (UNAUTHENTICATED, message), case

            client = Client(channel, bearer(KEYS.sign(claims("tls-alice", roles=["user"]), "HS256")))
            assert who(client) == ("tls-alice", ["user"], True)
            workflow = client.GetWorkflow(pb.GetWorkflowRequest(workflow_id=start(client, **QUICK), omit_steps=True))
            assert (workflow.user_id, workflow.started_by) == ("tls-alice", "tls-alice")
    finally:
        server.stop()
    assert server.process.returncode == 0


def test_a_jwt_under_mutual_tls_is_the_caller(pki, tmp_path):
    """With a client certificate and no --certificate-roles, the token alone is the caller."""
    server = Server(*tls_arguments(pki, mutual=True), "--auth", "jwt",
                    "--jwt-secret-file", str(KEYS.write_secret(tmp_path / "secret")), "--store", "memory")
    try:
        with secure_channel(server, pki, client=pki.client) as channel:
            client = Client(channel, bearer(KEYS.sign(claims("mtls-alice", roles=["operator"]), "HS256")))
            assert who(client) == ("mtls-alice", ["operator"], True)
            workflow = client.GetWorkflow(pb.GetWorkflowRequest(workflow_id=start(client, **QUICK), omit_steps=True))
            assert (workflow.user_id, workflow.started_by) == ("mtls-alice", "mtls-alice")
            assert rpc_error(Client(channel, None).WhoAmI, pb.WhoAmIRequest()).code() == UNAUTHENTICATED
            expired = Client(channel, bearer(KEYS.sign(claims("mtls-alice", lifetime=-120), "HS256")))
            assert status(rpc_error(expired.WhoAmI, pb.WhoAmIRequest())) == (UNAUTHENTICATED, "the token has expired")
    finally:
        server.stop()


# MARK: 8. the log


def fragments(secret: str, width: int = 12) -> set[str]:
    """Every `width`-character piece of `secret`: found in a log, a piece says part of it leaked."""
    return {secret[start:start + width] for start in range(len(secret) - width + 1)}


def test_no_token_or_cookie_reaches_the_log_even_at_trace_level(tmp_path):
    tokens = TokenFile(tmp_path / "tokens.txt", {"alice": "user", "carol": "user", "root": "admin", "w-imp": "worker:imports"})
    templates = tmp_path / "templates.conf"
    templates.write_text(TEMPLATES)
    server = Server("--log-level", "trace", "--auth", "tokens", "--auth-tokens", str(tokens.path), "--templates", str(templates),
                    "--store", "memory")
    forged = [f"forged-{secrets.token_urlsafe(24)}" for _ in range(4)]
    cookies: dict[str, str] = {}
    try:
        with grpc.insecure_channel(server.address) as channel:
            alice, carol, root, imp = (Client(channel, bearer(tokens.tokens[name])) for name in ("alice", "carol", "root", "w-imp"))
            assert who(alice)[0] == "alice"
            workflow_id = start(alice, **LONG)
            assert status(rpc_error(Client(channel, bearer(forged[0])).WhoAmI, pb.WhoAmIRequest())) == (UNAUTHENTICATED, UNKNOWN)
            malformed = Client(channel, f"Bearer {forged[1]} more")
            assert status(rpc_error(malformed.ListWorkflows, pb.ListWorkflowsRequest())) == (UNAUTHENTICATED, NOT_BEARER)
            assert rpc_error(imp.ListWorkflows, pb.ListWorkflowsRequest()).code() == PERMISSION_DENIED
            refused_worker = RawWorker(channel, metadata=imp.metadata)
            refused_worker.send(hello=pb.WorkerHello(name="w", instance_id="w-1", queues=["exports"], slots=1))
            with pytest.raises(grpc.RpcError):
                refused_worker.next()
            assert who(carol)[0] == "carol"
            tokens.remove("carol")
            reload(server, "server.auth_reloaded")
            assert status(rpc_error(carol.WhoAmI, pb.WhoAmIRequest())) == (UNAUTHENTICATED, UNKNOWN)

            port = HTTPPort(server)
            cookies = port.log_in(tokens.tokens["alice"])
            with_csrf = {**cookie_header(cookies), "X-CSRF-Token": cookies["workflow_csrf"]}
            assert port.send("GET", "/api/v1/workflows", headers=cookie_header(cookies)).status == 200
            cancel = f"/api/v1/workflows/{workflow_id}/cancel"
            assert port.send("POST", cancel, headers=cookie_header(cookies)).status == 403
            assert port.send("POST", cancel, headers=with_csrf).status == 200
            assert port.send("POST", "/api/v1/session", {"token": forged[2]}).status == 401
            assert port.send("GET", "/api/v1/workflows", token=forged[3]).status == 401
            assert port.send("GET", "/api/v1/session", token=tokens.tokens["carol"]).status == 401
            assert port.send("GET", "/metrics", token=tokens.tokens["root"]).status == 200
            assert port.send("DELETE", "/api/v1/session", headers=with_csrf).status == 200
            assert wait_until_ended(root, workflow_id).cancelled_by == "alice"
    finally:
        log = server.stop()
    assert " trace " in log and "server.auth_reloaded" in log, "the log is not the trace-level log of these calls"
    secrets_sent = [*tokens.tokens.values(), *forged, *cookies.values()]
    assert len(cookies) == 2 and all(secrets_sent)
    leaked = [piece for secret in secrets_sent for piece in fragments(secret) if piece in log]
    assert not leaked, f"credentials in the log: {leaked[:5]}"
