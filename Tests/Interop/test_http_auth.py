"""Callers on the HTTP side port (issue 18): every /api/v1 route with `--auth tokens` and the
`Authorization` header (401, 403, another user's workflow as an unknown id, a user's lists,
counts and event streams holding only its own), uploads and downloads by role, the console's
session cookies with their CSRF and Origin checks (and `Secure` over HTTPS), and which of the
operational endpoints are open.

Two servers: `site` (--auth tokens, plain HTTP) for all but the HTTPS session test."""

import hashlib
import re
import socket
import threading
import time
from urllib.parse import urlencode

import pytest

from auth_support import HTTPPort, TokenFile, bearer, cookie_header, set_cookies
from conftest import ROOT, Server
from test_auth import FAILING, LONG, MISSING, NOT_BEARER, QUICK, UNKNOWN, made_up
from test_http_api import EventStreamReader
from test_tls import tls_arguments
from tls_pki import PKI

CROSS_SITE = "cross-site request refused: "

ROLES = {"alice": "user", "bob": "user", "view": "viewer", "ops": "operator", "root": "admin", "w-imp": "worker:imports"}

TERMINAL = {"LOG_EVENT_KIND_WORKFLOW_COMPLETED", "LOG_EVENT_KIND_WORKFLOW_FAILED", "LOG_EVENT_KIND_WORKFLOW_CANCELLED"}
CSV = b"tag,type,name\nP-7,Pump,Spare pump\n"


def unauthenticated(message: str) -> dict:
    return {"code": 16, "status": "UNAUTHENTICATED", "message": message}


class Site:
    """workflowd with --auth tokens, one token per caller of ROLES, and its HTTP port."""

    def __init__(self, server: Server, tokens: TokenFile):
        self.server = server
        self.tokens = tokens.tokens
        self.port = HTTPPort(server)

    def send(self, subject: str | None, method: str, path: str, body=None, headers: dict | None = None):
        """A request as `subject` (its token in `Authorization`), or without credentials for None."""
        return self.port.send(method, path, body, token=self.tokens[subject] if subject else None, headers=headers)

    def start(self, subject: str, type: str = "TEST", **params: str) -> str:
        answer = self.send(subject, "POST", "/api/v1/workflows", {"type": type, "params": params})
        assert answer.status == 200 and answer.body["status"] == "WORKFLOW_STATUS_RUNNING", answer
        return answer.body["workflow_id"]

    def workflow(self, workflow_id: str) -> dict:
        answer = self.send("root", "GET", f"/api/v1/workflows/{workflow_id}?omit_steps=true")
        assert answer.status == 200, answer
        return answer.body

    def wait_until_ended(self, workflow_id: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while (workflow := self.workflow(workflow_id))["status"] == "WORKFLOW_STATUS_RUNNING":
            assert time.monotonic() < deadline, f"{workflow_id} still runs after {timeout} s"
            time.sleep(0.02)
        return workflow

    def upload(self, subject: str, content: bytes, name: str = "input.csv"):
        query = urlencode({"name": name, "sha256": hashlib.sha256(content).hexdigest()})
        return self.send(subject, "POST", f"/api/v1/files?{query}", content, headers={"Content-Type": "text/csv"})


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tokens = TokenFile(tmp_path_factory.mktemp("http-auth") / "tokens.txt", ROLES)
    server = Server("--auth", "tokens", "--auth-tokens", str(tokens.path))
    yield Site(server, tokens)
    server.stop()
    assert server.process.returncode == 0, "workflowd did not exit cleanly on SIGTERM"


class Workflows:
    """alice's workflows (one running, one failed, an export with artifacts), an upload of hers,
    and one of bob's, all started over HTTP with their tokens."""

    def __init__(self, site: Site):
        self.running = site.start("alice", **LONG)
        self.failed = site.start("alice", **FAILING)
        self.export = site.start("alice", type="EXPORT_PACKAGE", package_name="alice-plant")
        self.bobs = site.start("bob", **QUICK)
        for workflow_id in (self.failed, self.export, self.bobs):
            site.wait_until_ended(workflow_id)
        exported = site.workflow(self.export)
        assert exported["status"] == "WORKFLOW_STATUS_COMPLETED" and exported["artifacts"], exported
        self.artifact = exported["artifacts"][0]
        uploaded = site.upload("alice", CSV)
        assert uploaded.status == 201, uploaded
        self.file_id = uploaded.body["file_id"]


@pytest.fixture(scope="module")
def workflows(site):
    workflows = Workflows(site)
    yield workflows
    site.send("root", "POST", f"/api/v1/workflows/{workflows.running}/cancel", {"reason": "test over"})


def api_routes(workflows: Workflows) -> dict[tuple[str, str], tuple[str, object]]:
    """Each /api/v1 route that calls an RPC with the caller's credentials, as (method, route) ->
    (a path of it naming alice's things, body). The session routes are tested on their own."""
    sha256 = hashlib.sha256(CSV).hexdigest()
    return {
        ("GET", "/api/v1/workflows"): ("/api/v1/workflows", None),
        ("POST", "/api/v1/workflows"): ("/api/v1/workflows", {"type": "TEST", "params": QUICK}),
        ("GET", "/api/v1/workflows/{id}"): (f"/api/v1/workflows/{workflows.running}", None),
        ("GET", "/api/v1/workflows/{id}/steps"): (f"/api/v1/workflows/{workflows.failed}/steps", None),
        ("GET", "/api/v1/workflow-counts"): ("/api/v1/workflow-counts", None),
        ("POST", "/api/v1/workflows/{id}/retry"): (f"/api/v1/workflows/{workflows.failed}/retry", None),
        ("POST", "/api/v1/workflows/{id}/cancel"): (f"/api/v1/workflows/{workflows.running}/cancel", {"reason": "no"}),
        ("GET", "/api/v1/workers"): ("/api/v1/workers", None),
        ("POST", "/api/v1/files"): (f"/api/v1/files?name=input.csv&sha256={sha256}", CSV),
        ("GET", "/api/v1/files/{id}"): (f"/api/v1/files/{workflows.file_id}", None),
        ("GET", "/api/v1/artifacts/{id}"): (f"/api/v1/artifacts/{workflows.artifact['id']}", None),
        ("GET", "/api/v1/assets"): ("/api/v1/assets", None),
        ("GET", "/api/v1/assets/{id}"): ("/api/v1/assets/1", None),
        ("GET", "/api/v1/events"): ("/api/v1/events", None),
        ("GET", "/api/v1/session"): ("/api/v1/session", None),
    }


def routes_of_the_gateway() -> set[tuple[str, str]]:
    """(method, route) of every /api/v1 route HTTPGateway.makeRouter adds."""
    source = (ROOT / "Sources/HTTPGateway/HTTPGateway.swift").read_text()
    return {(method.upper(), route) for method, route in re.findall(r'router\.(get|post|put|patch|delete)\("(/api/v1/[^"]*)"', source)}


# MARK: 1. the JSON API with tokens


def test_the_route_list_covers_every_api_route_of_the_gateway(workflows):
    sessions = {("POST", "/api/v1/session"), ("DELETE", "/api/v1/session")}
    assert routes_of_the_gateway() - sessions == set(api_routes(workflows))


@pytest.mark.parametrize("authorization, message", [
    (None, MISSING),
    ("Basic eDp5", NOT_BEARER),
    ("Bearer forged-token-of-nobody", UNKNOWN),
], ids=["missing", "basic", "unknown"])
def test_every_api_route_refuses_a_request_without_a_valid_token(site, workflows, authorization, message):
    headers = {"Authorization": authorization} if authorization else {}
    for route, (path, body) in api_routes(workflows).items():
        answer = site.port.send(route[0], path, body, headers=headers)
        assert (answer.status, answer.body) == (401, unauthenticated(message)), (route, answer)
    # Nothing changed: the cancel and the retry were refused before they acted.
    assert site.workflow(workflows.running)["status"] == "WORKFLOW_STATUS_RUNNING"
    failed = site.workflow(workflows.failed)
    assert (failed["status"], failed["attempt"]) == ("WORKFLOW_STATUS_FAILED", 1)


def test_the_authorization_header_is_the_caller(site):
    for subject, roles in ROLES.items():
        answer = site.send(subject, "GET", "/api/v1/session")
        assert answer.status == 200, answer
        assert answer.body == {"subject": subject, "roles": roles.split(","), "authenticated": True}


def test_a_viewer_may_not_start_a_workflow(site):
    answer = site.send("view", "POST", "/api/v1/workflows", {"type": "TEST", "params": QUICK})
    assert answer.status == 403 and answer.body["status"] == "PERMISSION_DENIED", answer
    assert answer.body["message"].startswith("view (roles: viewer) may not ") and ": that needs " in answer.body["message"], answer


def test_another_users_workflow_is_not_found_exactly_as_an_unknown_id(site, workflows):
    artifact_name = workflows.artifact["name"]
    requests = {
        "get": ("GET", lambda id: f"/api/v1/workflows/{id}", workflows.running),
        "steps": ("GET", lambda id: f"/api/v1/workflows/{id}/steps", workflows.failed),
        "retry": ("POST", lambda id: f"/api/v1/workflows/{id}/retry", workflows.failed),
        "cancel": ("POST", lambda id: f"/api/v1/workflows/{id}/cancel", workflows.running),
        "artifact": ("GET", lambda id: f"/api/v1/artifacts/{id}.{artifact_name}", workflows.export),
    }
    for name, (method, path, workflow_id) in requests.items():
        theirs = site.send("bob", method, path(workflow_id))
        unknown = site.send("bob", method, path(made_up(workflow_id)))
        assert theirs.status == unknown.status == 404, (name, theirs, unknown)
        assert theirs.body["status"] == "NOT_FOUND", (name, theirs)
        assert theirs.body["message"] == unknown.body["message"].replace(made_up(workflow_id), workflow_id), (name, theirs, unknown)
        assert f'no workflow with id "{workflow_id}"' in theirs.body["message"], (name, theirs)
    # Nothing changed, and alice herself gets all of it.
    assert site.workflow(workflows.running)["status"] == "WORKFLOW_STATUS_RUNNING"
    assert site.workflow(workflows.failed)["attempt"] == 1
    for name, (method, path, workflow_id) in requests.items():
        if method == "GET":
            assert site.send("alice", method, path(workflow_id)).status == 200, name


def test_a_user_lists_and_counts_only_its_own_and_may_not_ask_for_anothers(site, workflows):
    listed = site.send("bob", "GET", "/api/v1/workflows?page_size=1000")
    assert listed.status == 200, listed
    assert {workflow["user_id"] for workflow in listed.body["workflows"]} == {"bob"}
    assert workflows.bobs in {workflow["id"] for workflow in listed.body["workflows"]}
    counted = site.send("bob", "GET", "/api/v1/workflow-counts")
    assert counted.status == 200, counted
    assert sum(int(entry["count"]) for entry in counted.body["counts"]) == len(listed.body["workflows"])
    everyone = site.send("root", "GET", "/api/v1/workflow-counts").body
    assert sum(int(entry["count"]) for entry in everyone["counts"]) > len(listed.body["workflows"])

    for path in ("/api/v1/workflows?user_id=alice", "/api/v1/workflow-counts?user_id=alice", "/api/v1/events?user_id=alice"):
        answer = site.send("bob", "GET", path)
        assert answer.status == 403 and answer.body["status"] == "PERMISSION_DENIED", (path, answer)
        assert answer.body["message"].startswith("user_id: bob sees only its own workflows"), (path, answer)
    hers = site.send("view", "GET", "/api/v1/workflows?page_size=1000&user_id=alice").body["workflows"]
    assert hers and {workflow["user_id"] for workflow in hers} == {"alice"}


class EventCollector:
    """GET /api/v1/events read in a thread, every event's data kept, until `close`."""

    def __init__(self, site: Site, query: list[tuple[str, str]], headers: dict):
        self.reader = EventStreamReader(site.server, query, headers=headers)
        assert self.reader.status_line.endswith("200 OK"), (self.reader.status_line, self.reader.buffer)
        self.events: list[dict] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        try:
            while True:
                event = self.reader.next_event()
                if event.get("event") == "end":
                    self.events.append({"end": event["data"]})
                    return
                self.events.append(event["data"])
        except (EOFError, OSError):
            pass

    def saw_end_of(self, workflow_id: str) -> bool:
        return any(event.get("workflow_id") == workflow_id and event.get("kind") in TERMINAL for event in list(self.events))

    def close(self):
        self.reader.socket.shutdown(socket.SHUT_RDWR)
        self.reader.close()
        self._thread.join(timeout=10)


def test_event_streams_carry_only_the_users_own_events(site, workflows):
    """bob's streams (each filter; the Authorization header or the session cookie) replay and
    follow only his workflows' events while alice's run; the admin's streams with the same
    filters get alice's too, so the filters match them."""
    kinds = [("kinds", kind) for kind in ("LOG_EVENT_KIND_WORKFLOW_STARTED", "LOG_EVENT_KIND_STEP_LOGGED",
                                          "LOG_EVENT_KIND_WORKFLOW_COMPLETED")]
    filters = {"none": [], "type": [("workflow_type", "TEST")], "kinds": kinds, "type and kinds": [("workflow_type", "TEST"), *kinds]}
    bob = {"Authorization": bearer(site.tokens["bob"])}
    bobs = {name: EventCollector(site, query, bob) for name, query in filters.items()}
    bobs["cookie"] = EventCollector(site, [], cookie_header({"workflow_session": site.tokens["bob"]}))
    roots = {name: EventCollector(site, query, {"Authorization": bearer(site.tokens["root"])}) for name, query in filters.items()}
    try:
        hers = site.start("alice", jobs="2", steps="10", step_delay_ms="50")
        his = site.start("bob", jobs="2", steps="10", step_delay_ms="50")
        site.wait_until_ended(hers)
        site.wait_until_ended(his)
        deadline = time.monotonic() + 10
        while not (all(collector.saw_end_of(his) for collector in bobs.values())
                   and all(collector.saw_end_of(hers) for collector in roots.values())):
            assert time.monotonic() < deadline, "the streams did not all see the workflows end"
            time.sleep(0.05)
        time.sleep(0.2)  # anything wrongly sent after the terminal events arrives too
    finally:
        for collector in [*bobs.values(), *roots.values()]:
            collector.close()

    listed = site.send("root", "GET", "/api/v1/workflows?page_size=1000&user_id=bob").body["workflows"]
    bob_owned = {workflow["id"] for workflow in listed}
    for name, collector in bobs.items():
        assert not any("end" in event for event in collector.events), (name, collector.events[-1])
        gaps = [event for event in collector.events if event["kind"] == "LOG_EVENT_KIND_GAP"]
        assert all(not ({"workflow_id", "workflow_type", "user_id", "message"} & set(gap)) for gap in gaps), (name, gaps)
        strangers = [(event.get("workflow_id"), event.get("user_id"), event["kind"]) for event in collector.events
                     if event["kind"] != "LOG_EVENT_KIND_GAP"
                     and (event.get("user_id") != "bob" or event.get("workflow_id") not in bob_owned)]
        assert not strangers, (name, strangers[:5])
        his_kinds = {event["kind"] for event in collector.events if event.get("workflow_id") == his}
        assert {"LOG_EVENT_KIND_WORKFLOW_STARTED", "LOG_EVENT_KIND_STEP_LOGGED", "LOG_EVENT_KIND_WORKFLOW_COMPLETED"} <= his_kinds, \
            (name, his_kinds)
        # The replay holds his earlier one too.
        assert workflows.bobs in {event.get("workflow_id") for event in collector.events}, name
    for name, collector in roots.items():
        seen = {event.get("workflow_id") for event in collector.events}
        assert {hers, workflows.running, workflows.failed} <= seen, name


def test_uploads_need_a_role_that_starts_and_workers_download(site, workflows):
    for subject in ("view", "w-imp"):
        refused = site.upload(subject, CSV)
        assert refused.status == 403 and refused.body["status"] == "PERMISSION_DENIED", (subject, refused)
        assert refused.body["message"].startswith(f"{subject} (roles: {ROLES[subject]}) may not "), refused
    content = b"tag,type,name\nP-8,Pump,Bob's pump\n"
    stored = site.upload("bob", content)
    assert stored.status == 201 and stored.body["sha256"] == hashlib.sha256(content).hexdigest(), stored

    for subject in ("w-imp", "view"):
        downloaded = site.send(subject, "GET", f"/api/v1/files/{stored.body['file_id']}")
        assert (downloaded.status, downloaded.body) == (200, content.decode()), (subject, downloaded)
    artifact = site.send("w-imp", "GET", f"/api/v1/artifacts/{workflows.artifact['id']}")
    assert artifact.status == 200 and hashlib.sha256(artifact.data).hexdigest() == workflows.artifact["sha256"], artifact.headers


# MARK: 2. the console's session


SESSION_COOKIE = "workflow_session={token}; Path=/; HttpOnly; SameSite=Strict"
CSRF_COOKIE = re.compile(r"workflow_csrf=([0-9a-f]{64}); Path=/; SameSite=Strict")


def test_a_login_sets_the_session_and_csrf_cookies_and_a_bad_token_sets_none(site):
    token = site.tokens["alice"]
    answer = site.port.send("POST", "/api/v1/session", {"token": token})
    assert answer.status == 200, answer
    assert answer.body == {"subject": "alice", "roles": ["user"], "authenticated": True}
    session, csrf = answer.values("Set-Cookie")
    assert session == SESSION_COOKIE.format(token=token)
    assert CSRF_COOKIE.fullmatch(csrf), csrf
    assert site.port.log_in(token)["workflow_csrf"] != CSRF_COOKIE.fullmatch(csrf).group(1), "a fresh CSRF token per login"

    for bad in ("forged-token-of-nobody", f"{token}x"):
        refused = site.port.send("POST", "/api/v1/session", {"token": bad})
        assert (refused.status, refused.body) == (401, unauthenticated(UNKNOWN)), refused
        assert refused.values("Set-Cookie") == [], refused
    # A login from another origin is refused too (login CSRF), with no cookie.
    foreign = site.port.send("POST", "/api/v1/session", {"token": token}, headers={"Origin": "http://evil.example"})
    assert foreign.status == 403 and foreign.body["message"].startswith(CROSS_SITE), foreign
    assert foreign.values("Set-Cookie") == [], foreign


def test_the_session_cookie_authenticates_reads(site, workflows):
    cookies = site.port.log_in(site.tokens["alice"])
    answer = site.port.send("GET", "/api/v1/session", headers=cookie_header(cookies))
    assert (answer.status, answer.body) == (200, {"subject": "alice", "roles": ["user"], "authenticated": True}), answer
    listed = site.port.send("GET", "/api/v1/workflows?page_size=1000", headers=cookie_header(cookies))
    assert listed.status == 200 and {w["user_id"] for w in listed.body["workflows"]} == {"alice"}, listed
    assert workflows.running in {w["id"] for w in listed.body["workflows"]}
    # Without the session cookie (the CSRF cookie alone), or with a forged one: not logged in.
    for headers in (cookie_header({"workflow_csrf": cookies["workflow_csrf"]}),
                    cookie_header({**cookies, "workflow_session": "forged-token-of-nobody"})):
        answer = site.port.send("GET", "/api/v1/session", headers=headers)
        assert answer.status == 401 and answer.body["status"] == "UNAUTHENTICATED", (headers, answer)


def test_a_state_change_by_cookie_needs_the_csrf_token_and_no_foreign_origin_passes(site):
    workflow_id = site.start("alice", **LONG)
    cookies = site.port.log_in(site.tokens["alice"])
    csrf = cookies["workflow_csrf"]
    cancel = f"/api/v1/workflows/{workflow_id}/cancel"
    another_login = site.port.log_in(site.tokens["alice"])["workflow_csrf"]
    refused = {
        "no X-CSRF-Token": cookie_header(cookies),
        "a wrong X-CSRF-Token": {**cookie_header(cookies), "X-CSRF-Token": "0" * 64},
        "the token of another login": {**cookie_header(cookies), "X-CSRF-Token": another_login},
        "X-CSRF-Token without its cookie": {**cookie_header({"workflow_session": cookies["workflow_session"]}), "X-CSRF-Token": csrf},
        "an empty X-CSRF-Token and cookie": {**cookie_header({**cookies, "workflow_csrf": ""}), "X-CSRF-Token": ""},
    }
    for case, headers in refused.items():
        answer = site.port.send("POST", cancel, {"reason": "forged"}, headers=headers)
        assert answer.status == 403 and answer.body["status"] == "PERMISSION_DENIED", (case, answer)
        assert answer.body["message"].startswith(CROSS_SITE), (case, answer)

    evil = "http://evil.example"
    foreign = {
        "cookie and the right CSRF token": {**cookie_header(cookies), "X-CSRF-Token": csrf, "Origin": evil},
        "an Authorization header": {"Authorization": bearer(site.tokens["alice"]), "Origin": evil},
        "another port of this host": {"Authorization": bearer(site.tokens["alice"]), "Origin": f"http://127.0.0.1:{site.server.port}"},
    }
    for case, headers in foreign.items():
        answer = site.port.send("POST", cancel, {"reason": "forged"}, headers=headers)
        assert answer.status == 403 and answer.body["status"] == "PERMISSION_DENIED", (case, answer)
        origin = headers["Origin"]
        assert answer.body["message"] == f"cross-site request refused: Origin {origin} is not this server's", (case, answer)
    workflow = site.workflow(workflow_id)
    assert (workflow["status"], workflow.get("cancelled_by", "")) == ("WORKFLOW_STATUS_RUNNING", ""), workflow

    # This server's own origin with a token, and the cookie with its CSRF token, do pass.
    started = site.send("alice", "POST", "/api/v1/workflows", {"type": "TEST", "params": QUICK}, headers={"Origin": site.port.origin})
    assert started.status == 200, started
    answer = site.port.send("POST", cancel, {"reason": "from the console"},
                            headers={**cookie_header(cookies), "X-CSRF-Token": csrf, "Origin": site.port.origin})
    assert answer.status == 200 and answer.body["workflow_id"] == workflow_id, answer
    cancelled = site.wait_until_ended(workflow_id)
    assert (cancelled["status"], cancelled["cancelled_by"]) == ("WORKFLOW_STATUS_CANCELLED", "alice"), cancelled


def test_a_logout_expires_both_cookies(site):
    cookies = site.port.log_in(site.tokens["bob"])
    # A logout (like a login) does not use the session cookie, so it needs no CSRF token (a
    # stale cookie without its CSRF cookie must not lock the browser out); another origin's
    # page still cannot send one.
    cross_site = site.port.send("DELETE", "/api/v1/session", headers={**cookie_header(cookies), "Origin": "http://evil.example"})
    assert cross_site.status == 403 and cross_site.body["message"].startswith(CROSS_SITE), cross_site
    assert not set_cookies(cross_site), cross_site
    answer = site.port.send("DELETE", "/api/v1/session", headers=cookie_header(cookies))
    assert answer.status == 200, answer
    expired = answer.values("Set-Cookie")
    assert set_cookies(answer) == {"workflow_session": "", "workflow_csrf": ""}, expired
    assert all("; Max-Age=0" in header and "; Path=/" in header for header in expired), expired


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return PKI(tmp_path_factory.mktemp("http-auth-pki"))


def test_over_https_the_session_cookies_are_secure_and_the_origin_is_https(pki, tmp_path):
    tokens = TokenFile(tmp_path / "tokens.txt", {"alice": "user"})
    server = Server(*tls_arguments(pki), "--auth", "tokens", "--auth-tokens", str(tokens.path), "--store", "memory")
    try:
        port = HTTPPort(server, ca=pki.ca[0])
        token = tokens.tokens["alice"]
        answer = port.send("POST", "/api/v1/session", {"token": token})
        assert answer.status == 200 and answer.body["subject"] == "alice", answer
        session, csrf = answer.values("Set-Cookie")
        assert session == SESSION_COOKIE.format(token=token) + "; Secure"
        assert csrf.endswith("; Secure") and CSRF_COOKIE.fullmatch(csrf.removesuffix("; Secure")), csrf

        start = {"type": "TEST", "params": QUICK}
        assert port.send("POST", "/api/v1/workflows", start, token=token, headers={"Origin": port.origin}).status == 200
        plain_origin = f"http://127.0.0.1:{port.port}"
        answer = port.send("POST", "/api/v1/workflows", start, token=token, headers={"Origin": plain_origin})
        assert answer.status == 403 and answer.body["message"] == f"{CROSS_SITE}Origin {plain_origin} is not this server's", answer
    finally:
        server.stop()


# MARK: 3. operational endpoints


def test_metrics_need_a_role_that_sees_everything_and_the_rest_is_open(site):
    answer = site.send(None, "GET", "/metrics")
    assert answer.status == 401 and answer.body["status"] == "UNAUTHENTICATED", answer
    assert site.port.send("GET", "/metrics", headers={"Authorization": "Bearer forged-token-of-nobody"}).status == 401
    for subject in ("alice", "w-imp"):
        answer = site.send(subject, "GET", "/metrics")
        assert answer.status == 403 and answer.body["status"] == "PERMISSION_DENIED", (subject, answer)
    for subject in ("view", "ops", "root"):
        answer = site.send(subject, "GET", "/metrics")
        assert answer.status == 200 and dict(answer.headers)["Content-Type"].startswith("text/plain"), (subject, answer)
        assert "# TYPE " in answer.body, subject

    for path in ("/healthz", "/readyz", "/", "/console/console.js"):
        assert site.send(None, "GET", path).status == 200, path
