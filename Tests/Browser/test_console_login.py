"""The console's login, against a workflowd that authenticates callers (`--auth tokens`).

The console asks `GET /api/v1/session` first: a 401 shows its login view instead of the app. The
token it is given becomes an HTTP-only session cookie and a `workflow_csrf` cookie, which the
page repeats in `X-CSRF-Token` on every request that changes something; a page of another origin
(another port of 127.0.0.1: the same site, so SameSite=Strict cookies do go with its requests)
can neither read that cookie nor pass the server's Origin check. Without `--auth` there is no
login at all. Workflows are started and checked through the JSON API with bearer tokens.
"""

import hashlib
import http.server
import signal
import threading
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

import pytest

from browser_support import DESKTOP, PHONE, Server
from test_console import LIST_ROWS, assert_no_horizontal_scroll, open_list, open_workflow, unique

# token → (subject, roles)
TOKENS = {
    "alice-token-5f1c": ("alice", "user"),
    "bob-token-93ad": ("bob", "user"),
    "ops-token-c2e7": ("ops", "operator"),
    "vera-token-0b4d": ("vera", "viewer"),
    "dave-token-7e21": ("dave", "user"),
}
ALICE, BOB, OPS, VERA, DAVE = TOKENS

LONG_RUNNING = {"jobs": 1, "steps": 2000, "step_delay_ms": 50}


def write_tokens(path: Path, tokens: dict[str, tuple[str, str]]) -> Path:
    """A `--auth-tokens` file: `<sha256 hex of the token> <subject> <roles>` per line."""
    lines = ["# the browser tests' callers"]
    lines += [f"{hashlib.sha256(token.encode()).hexdigest()} {subject} {roles}" for token, (subject, roles) in tokens.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    """A workflowd with `--auth tokens`; its JSON API helpers call as the operator."""
    tokens = write_tokens(tmp_path_factory.mktemp("auth") / "tokens", TOKENS)
    server = Server("--auth", "tokens", "--auth-tokens", str(tokens), token=OPS)
    yield server
    assert server.stop() == 0, "workflowd did not exit cleanly on SIGTERM:\n" + "".join(server.log[-40:])


def session_state(browser) -> str:
    return browser.js("return document.documentElement.dataset.session || ''")


def wait_for_login(browser, why: str = "the login view did not show"):
    browser.until(lambda d: session_state(browser) == "login" and browser.find_all("login-view"), 10, why)


def sign_in(browser, token: str):
    field = browser.find("login-token")
    field.clear()
    field.send_keys(token)
    browser.find("login-submit").click()


def page_fetch(browser, method: str, path: str, headers: dict | None = None) -> dict:
    """A request made by the page's own script (its cookies, its origin): {status, body}."""
    return browser.driver.execute_async_script("""
        const [method, path, headers, done] = arguments;
        fetch(path, { method, headers, cache: 'no-store' })
          .then(async (response) => done({ status: response.status, body: await response.text() }))
          .catch((error) => done({ status: 0, body: String(error) }));
    """, method, path, headers or {})


def list_row_ids(browser) -> set[str]:
    return {workflow_id for workflow_id, _ in browser.js(LIST_ROWS)}


def status_of(server, workflow_id: str) -> str:
    return server.workflow(workflow_id)["status"].removeprefix("WORKFLOW_STATUS_")


# With --auth tokens ------------------------------------------------------------------------------

def test_login_shows_the_users_own_workflows_and_its_buttons_send_the_csrf_token(auth_server, browser):
    server = auth_server
    tag = unique("Login")
    running = server.start_workflow(LONG_RUNNING, user_id="alice", summary=f"{tag} running", token=ALICE)
    failing = server.start_workflow({"jobs": 2, "steps": 4, "step_delay_ms": 10, "fail_job": 2, "fail_attempts": 1},
                                    user_id="alice", summary=f"{tag} failing", token=ALICE)
    # A user's workflow is always its own: bob's is bob's, whatever user_id he asks for.
    bobs = server.start_workflow(LONG_RUNNING, user_id="alice", summary=f"{tag} bob's", token=BOB)
    assert server.workflow(bobs)["user_id"] == "bob"
    server.wait_for_status(failing, "FAILED")

    # Not signed in: the login view, not the app.
    browser.open(f"{server.url}/#/")
    wait_for_login(browser)
    assert not browser.find_all("list-view")
    assert not browser.find("session-badge").is_displayed()
    assert not browser.find("connection-state").is_displayed()
    token_field = browser.find("login-token")
    assert token_field.get_attribute("type") == "password"
    assert browser.driver.switch_to.active_element == token_field
    browser.screenshot("login")

    # A wrong token: the server's message, still the login.
    sign_in(browser, "not-a-token")
    error = browser.until(lambda d: (e := browser.find_all("login-error")) and e[0].is_displayed() and e[0], 10,
                          "no error for a wrong token")
    assert error.text == "unknown or revoked token"
    assert session_state(browser) == "login" and not browser.find_all("list-view")
    browser.screenshot("wrong-token")

    # The right one: the app, with alice's workflows only.
    sign_in(browser, ALICE)
    browser.until(lambda d: session_state(browser) == "app", 10, "the right token did not open the app")
    browser.until(lambda d: browser.find_all("list-view") and browser.find("list-view").get_attribute("data-loaded") == "true",
                  10, "the list did not load")
    browser.wait_live()
    browser.until(lambda d: list_row_ids(browser) == {running, failing}, 10, "the list is not alice's workflows")
    # Live: alice's new workflow appears; bob's does not, nor does a notice of its failure.
    bobs_failing = server.start_workflow({"jobs": 1, "steps": 2, "fail_job": 1}, summary=f"{tag} bob's failing", token=BOB)
    alices_new = server.start_workflow({"jobs": 1, "steps": 2}, summary=f"{tag} new", token=ALICE)
    server.wait_for_status(bobs_failing, "FAILED")
    browser.until(lambda d: alices_new in list_row_ids(browser), 10, "alice's new workflow did not appear")
    assert list_row_ids(browser) == {running, failing, alices_new}
    assert not browser.css(f'[data-testid="failure-notice"][data-workflow-id="{bobs_failing}"]')
    badge = browser.find("session-badge")
    assert badge.is_displayed()
    assert browser.find("session-subject").text == "alice" and browser.find("session-roles").text == "user"
    assert not browser.find_all("login-view")
    browser.screenshot("signed-in")
    browser.resize(PHONE)
    assert_no_horizontal_scroll(browser)
    assert browser.find("sign-out").is_displayed() and browser.find("session-subject").is_displayed()
    browser.screenshot("phone-signed-in")
    browser.resize(DESKTOP)

    # The session cookie is out of the script's reach; the CSRF cookie is not.
    page_cookies = browser.js("return document.cookie")
    assert "workflow_session" not in page_cookies and "workflow_csrf=" in page_cookies
    cookies = {c["name"]: c for c in browser.driver.get_cookies()}
    assert cookies["workflow_session"]["httpOnly"] and cookies["workflow_session"]["sameSite"] == "Strict"
    assert not cookies["workflow_csrf"]["httpOnly"]
    # The cookie alone does not change anything: without the header the server refuses.
    refused = page_fetch(browser, "POST", f"/api/v1/workflows/{running}/cancel")
    assert refused["status"] == 403 and "cross-site request refused" in refused["body"], refused
    assert status_of(server, running) == "RUNNING"

    # Bob's workflow, asked for by its address: alice is told it does not exist.
    browser.open(f"{server.url}/#/workflows/{bobs}")
    browser.until(lambda d: browser.find_all("workflow-view") and browser.find("workflow-view").get_attribute("data-loaded") == "error",
                  10, "bob's workflow did not fail to load")
    assert f'no workflow with id "{bobs}"' in browser.find("workflow-error").text

    # The buttons: retry and cancel, sent with the CSRF header by the page.
    open_workflow(browser, server, failing)
    browser.find("retry-button").click()
    browser.until(lambda d: browser.find("workflow-status").get_attribute("data-status") == "COMPLETED", 30,
                  "the retried workflow did not complete")
    assert "attempt 2" in browser.find("action-status").text
    assert server.workflow(failing)["retried_by"] == "alice"

    open_workflow(browser, server, running)
    browser.until(lambda d: browser.find("workflow-status").get_attribute("data-status") == "RUNNING", 10)
    cancel = browser.find("cancel-button")
    cancel.click()
    cancel.click()
    browser.until(lambda d: browser.find("workflow-status").get_attribute("data-status") == "CANCELLED", 30,
                  "the page did not show CANCELLED")
    workflow = server.workflow(running)
    assert workflow["status"] == "WORKFLOW_STATUS_CANCELLED" and workflow["cancelled_by"] == "alice"
    assert not browser.find_all("action-error")
    browser.screenshot("cancelled")

    # Sign out: the login again, and the browser's requests are anonymous.
    browser.find("sign-out").click()
    wait_for_login(browser, "signing out did not lead to the login")
    assert browser.find("login-message").text == "You signed out."
    browser.resize(PHONE)
    assert_no_horizontal_scroll(browser)
    browser.screenshot("phone-login")
    browser.resize(DESKTOP)
    assert not browser.find("session-badge").is_displayed()
    assert not browser.find_all("workflow-view")
    assert browser.js("return document.cookie") == ""
    assert page_fetch(browser, "GET", "/api/v1/workflows")["status"] == 401
    assert page_fetch(browser, "GET", "/api/v1/session")["status"] == 401
    browser.screenshot("signed-out")
    server.call("POST", f"/api/v1/workflows/{bobs}/cancel", {"reason": "test over"})


def test_a_refused_action_shows_the_servers_message(auth_server, browser):
    server = auth_server
    workflow_id = server.start_workflow(LONG_RUNNING, summary=unique("Viewer"), token=DAVE)
    browser.open(f"{server.url}/#/workflows/{workflow_id}")
    wait_for_login(browser)
    sign_in(browser, VERA)
    browser.until(lambda d: browser.find_all("workflow-view") and browser.find("workflow-view").get_attribute("data-loaded") == "true",
                  10, "the viewer does not see the workflow")
    assert browser.find("session-roles").text == "viewer"
    cancel = browser.find("cancel-button")
    cancel.click()
    cancel.click()
    error = browser.until(lambda d: (e := browser.find_all("action-error")) and e[0], 10, "the refusal is not shown")
    status, answer = server.call("POST", f"/api/v1/workflows/{workflow_id}/cancel", {}, token=VERA)
    assert status == 403
    assert answer["message"] in error.text and "PERMISSION_DENIED" in error.text
    assert "vera" in error.text and "may not" in error.text
    assert session_state(browser) == "app", "a 403 must not end the session"
    assert status_of(server, workflow_id) == "RUNNING"
    browser.screenshot("refused")
    server.call("POST", f"/api/v1/workflows/{workflow_id}/cancel", {"reason": "test over"})


def test_a_revoked_token_returns_the_page_to_the_login(browser, tmp_path):
    tokens = dict(TOKENS)
    tokens_path = write_tokens(tmp_path / "tokens", tokens)
    arguments = ("--auth", "tokens", "--auth-tokens", str(tokens_path))
    server = Server(*arguments, data_dir=str(tmp_path / "data"), token=OPS)
    try:
        first = server.start_workflow(LONG_RUNNING, summary=unique("Revoked"), token=ALICE)
        second = server.start_workflow(LONG_RUNNING, summary=unique("Revoked"), token=ALICE)
        browser.open(f"{server.url}/#/")
        wait_for_login(browser)
        sign_in(browser, ALICE)
        open_list(browser, server)
        browser.until(lambda d: {first, second} <= list_row_ids(browser), 10)

        def revoke(token: str):
            del tokens[token]
            write_tokens(tokens_path, tokens)
            seen = sum("server.auth_reloaded" in line for line in server.log)
            server.process.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            while sum("server.auth_reloaded" in line for line in server.log) == seen:
                assert time.monotonic() < deadline, "no server.auth_reloaded after SIGHUP:\n" + "".join(server.log[-20:])
                time.sleep(0.05)

        # The next request the page makes is answered 401: the login says why.
        revoke(ALICE)
        browser.js("location.hash = arguments[0]", f"#/workflows/{first}")
        wait_for_login(browser, "a 401 did not lead to the login")
        assert browser.find("login-error").text == "Your session has ended: unknown or revoked token. Sign in again."
        assert not browser.find_all("workflow-view") and not browser.find("session-badge").is_displayed()
        browser.screenshot("revoked")

        # Another user signs in on the same page: the page the hash names, as that user.
        sign_in(browser, BOB)
        browser.until(lambda d: browser.find_all("workflow-view") and browser.find("workflow-view").get_attribute("data-loaded") == "error",
                      10, "alice's workflow should not load for bob")
        assert browser.find("session-subject").text == "bob"

        # The server restarts without bob's token: the list's event stream drops, and its
        # reconnection is refused (the page makes no other request meanwhile): the login.
        browser.js("location.hash = '#/'")
        browser.until(lambda d: browser.find_all("list-view") and browser.find("list-view").get_attribute("data-loaded") == "true", 10)
        browser.wait_live()
        del tokens[BOB]
        write_tokens(tokens_path, tokens)
        assert server.stop(remove_data=False) == 0
        server = Server(*arguments, data_dir=str(tmp_path / "data"), http_port=server.http_port, token=OPS)
        wait_for_login(browser, "a refused stream did not lead to the login")
        assert browser.find("login-error").text == "Your session has ended: unknown or revoked token. Sign in again."
        browser.screenshot("stream-refused")
    finally:
        assert server.stop() == 0, "workflowd did not exit cleanly on SIGTERM:\n" + "".join(server.log[-40:])


def test_the_tabs_sign_in_and_out_together(auth_server, browser):
    """The tabs share the cookies: one tab's sign-out or sign-in is every tab's."""
    server = auth_server
    browser.open(f"{server.url}/#/")
    wait_for_login(browser)
    first = browser.driver.current_window_handle
    browser.driver.switch_to.new_window("tab")
    second = browser.driver.current_window_handle
    browser.open(f"{server.url}/#/")
    wait_for_login(browser)

    browser.driver.switch_to.window(first)
    sign_in(browser, DAVE)
    browser.until(lambda d: session_state(browser) == "app", 10, "the sign-in did not open the app")
    browser.driver.switch_to.window(second)
    browser.until(lambda d: session_state(browser) == "app" and browser.find("session-subject").text == "dave", 10,
                  "the other tab did not follow the sign-in")

    browser.find("sign-out").click()
    wait_for_login(browser)
    browser.driver.switch_to.window(first)
    wait_for_login(browser, "the other tab did not follow the sign-out")
    assert browser.find("login-message").text == "You signed out in another tab."
    assert not browser.find_all("list-view")


# Cross-site requests ------------------------------------------------------------------------------

ATTACK_FORM = """<!doctype html><title>Another site</title>
<form id="attack" method="POST" action="{target}"><button>Win a prize</button></form>
<script>document.getElementById('attack').submit();</script>
"""

ATTACK_FETCH = """<!doctype html><title>Another site</title>
<script>
window.attack = fetch({target!r}, {{ method: 'POST', mode: 'no-cors', credentials: 'include' }})
  .then(() => 'sent', (error) => 'failed: ' + error);
</script>
"""


@contextmanager
def another_origin(pages: dict[str, str]):
    """An HTTP server on another port of 127.0.0.1 (another origin, the same site) serving `pages`."""

    class Pages(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            body = pages.get(urllib.parse.urlparse(self.path).path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_page_of_another_origin_cannot_act_for_the_signed_in_user(auth_server, browser):
    server = auth_server
    workflow_id = server.start_workflow(LONG_RUNNING, summary=unique("Target"), token=DAVE)
    target = f"{server.url}/api/v1/workflows/{workflow_id}/cancel"
    browser.open(f"{server.url}/#/")
    wait_for_login(browser)
    sign_in(browser, DAVE)
    open_list(browser, server)
    assert workflow_id in list_row_ids(browser)

    with another_origin({"/form": ATTACK_FORM.format(target=target), "/fetch": ATTACK_FETCH.format(target=target)}) as origin:
        assert origin != server.url
        # A form posted by another origin: no custom header possible; the browser sends the
        # cookies (same site) and its Origin, which the server refuses.
        browser.open(f"{origin}/form")
        browser.until(lambda d: d.current_url == target, 10, "the form was not posted")
        answer = browser.driver.find_element("tag name", "body").text
        assert '"status":"PERMISSION_DENIED"' in answer.replace(" ", ""), answer
        assert f"cross-site request refused: Origin {origin} is not this server's" in answer
        assert status_of(server, workflow_id) == "RUNNING"

        # A script of another origin, with the cookies (credentials: 'include').
        browser.open(f"{origin}/fetch")
        outcome = browser.driver.execute_async_script("window.attack.then(arguments[0])")
        assert outcome == "sent", outcome
        assert status_of(server, workflow_id) == "RUNNING"

    # The session still works on its own origin, and the same request (no body) would cancel.
    workflow = server.workflow(workflow_id)
    assert workflow["cancelled_by"] == ""
    browser.open(f"{server.url}/#/")
    browser.until(lambda d: session_state(browser) == "app", 10, "the session did not survive")
    csrf = next(c["value"] for c in browser.driver.get_cookies() if c["name"] == "workflow_csrf")
    done = page_fetch(browser, "POST", f"/api/v1/workflows/{workflow_id}/cancel", {"X-CSRF-Token": csrf})
    assert done["status"] == 200, done
    server.wait_for_status(workflow_id, "CANCELLED")
    assert server.workflow(workflow_id)["cancelled_by"] == "dave"


# Without --auth --------------------------------------------------------------------------------

def test_without_auth_there_is_no_login(server, browser):
    workflow_id = server.start_workflow({"jobs": 1, "steps": 2}, summary=unique("No login"))
    open_list(browser, server)
    assert session_state(browser) == "app"
    assert not browser.find_all("login-view")
    assert not browser.find("session-badge").is_displayed()
    assert browser.find("connection-state").is_displayed()
    browser.until(lambda d: workflow_id in list_row_ids(browser), 10)
    assert browser.js("return document.cookie") == ""
    answer = page_fetch(browser, "GET", "/api/v1/session")
    assert answer["status"] == 200 and '"authenticated":false' in answer["body"].replace(" ", "")
