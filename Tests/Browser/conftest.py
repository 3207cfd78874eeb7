"""Fixtures for the browser tests (Tests/Browser): a workflowd for the session, a fresh
headless Chromium per test. What they are made of lives in browser_support.py (a module name of
its own, so these tests can run in one pytest session with Tests/Interop, whose conftest is
another module called conftest)."""

import pytest

from browser_support import Browser, Server, artifacts_dir, make_driver


@pytest.fixture(scope="session")
def server():
    server = Server()
    yield server
    assert server.stop() == 0, "workflowd did not exit cleanly on SIGTERM:\n" + "".join(server.log[-40:])


@pytest.fixture
def browser(request):
    """A fresh browser per test (no notices or streams carried over). Saves its console log;
    fails the test on an uncaught JavaScript error."""
    driver = make_driver()
    browser = Browser(driver, request.node.name)
    try:
        yield browser
    finally:
        entries = browser.log_entries()
        (artifacts_dir() / f"{request.node.name}-console.log").write_text(
            "\n".join(f"{e.get('level')} {e.get('message')}" for e in entries) + "\n")
        driver.quit()
    uncaught = [e["message"] for e in entries if e.get("level") == "SEVERE" and "Uncaught" in e.get("message", "")]
    assert not uncaught, "uncaught JavaScript errors:\n" + "\n".join(uncaught)
