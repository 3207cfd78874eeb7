"""What the browser tests share: a real workflowd and its JSON API, and headless Chromium.

workflowd comes from $WORKFLOWD (default .build/debug/workflowd). It serves the console built
in, or from the folder $WORKFLOWD_CONSOLE_DIR names when that is set (passed on through the
environment, never required). Screenshots and the browser's console log of every test land in
$WORKFLOW_TEST_ARTIFACTS (default artifacts/browser/), named after the test.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
DESKTOP = (1280, 900)
PHONE = (390, 844)


def artifacts_dir() -> Path:
    path = Path(os.environ.get("WORKFLOW_TEST_ARTIFACTS", ROOT / "artifacts" / "browser"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def workflowd_binary() -> Path:
    path = Path(os.environ.get("WORKFLOWD", ROOT / ".build/debug/workflowd"))
    assert path.exists(), f"{path} does not exist: build it first (swift build) or set WORKFLOWD"
    return path


def free_port() -> int:
    """A port nothing listens on right now (for a server that must keep its port across a restart)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A workflowd process on 127.0.0.1, as Tests/Interop/conftest.py starts it.

    The gRPC port is picked by the kernel (`--port 0`); the HTTP port too unless `http_port` is
    given (a restarted server keeps the page's origin that way). The data directory is fresh
    unless `data_dir` is given; `stop(remove_data=False)` keeps it for a restart. `token`: the
    bearer token the JSON API helpers send (for a server started with `--auth`).
    """

    def __init__(self, *extra_args: str, data_dir: str | None = None, http_port: int = 0, token: str | None = None):
        self.token = token
        self.owned_data_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="workflowd-browser-")
        self.args = [
            str(workflowd_binary()), "--host", "127.0.0.1", "--port", "0",
            "--http-port", str(http_port), "--data-dir", self.data_dir, *extra_args,
        ]
        self.log: list[str] = []
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._drain = threading.Thread(target=self._read_log, daemon=True)
        self._drain.start()
        self.port = self._wait_for("server.port")
        self.http_port = self._wait_for("server.http_port")
        self.url = f"http://127.0.0.1:{self.http_port}"

    def _read_log(self):
        for line in self.process.stdout:
            self.log.append(line)

    def _wait_for(self, key: str) -> int:
        deadline = time.monotonic() + 30
        pattern = re.compile(re.escape(key) + r"=(\d+)")
        while time.monotonic() < deadline:
            for line in list(self.log):
                match = pattern.search(line)
                if match:
                    return int(match.group(1))
            if self.process.poll() is not None:
                break
            time.sleep(0.01)
        self.process.kill()
        raise RuntimeError(f"workflowd did not report {key}:\n" + "".join(self.log))

    def stop(self, remove_data: bool = True) -> int:
        """SIGTERM, wait for the exit; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._drain.join(timeout=10)
        if remove_data and self.owned_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        return self.process.returncode

    # The JSON API -----------------------------------------------------------------------------

    def call(self, method: str, path: str, body=None, timeout: float = 30, token: str | None = None):
        """One request to the JSON API; returns (HTTP status, parsed JSON). `token` (default: the
        server's) goes in `Authorization: Bearer`."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token or self.token:
            request.add_header("Authorization", f"Bearer {token or self.token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def api(self, method: str, path: str, body=None, token: str | None = None):
        status, answer = self.call(method, path, body, token=token)
        assert status == 200, f"{method} {path} answered {status}: {answer}"
        return answer

    def start_workflow(self, params: dict, *, type: str = "TEST", user_id: str = "u1",
                       user_name: str = "Ada", summary: str = "Import Gold Mine", token: str | None = None) -> str:
        answer = self.api("POST", "/api/v1/workflows", {
            "type": type, "params": {k: str(v) for k, v in params.items()},
            "user_id": user_id, "user_name": user_name, "summary": summary,
        }, token=token)
        return answer["workflow_id"]

    def workflow(self, workflow_id: str, omit_steps: bool = True) -> dict:
        suffix = "?omit_steps=true" if omit_steps else ""
        return self.api("GET", f"/api/v1/workflows/{urllib.parse.quote(workflow_id)}{suffix}")

    def all_steps(self, workflow_id: str) -> list[dict]:
        """Every step of the workflow, oldest first, read backwards page by page from the newest."""
        pages: list[list[dict]] = []
        bound = ""
        while True:
            page = self.api("GET", f"/api/v1/workflows/{urllib.parse.quote(workflow_id)}/steps"
                                   f"?page_size=1000{bound}")
            pages.append(page["steps"])
            if not page["has_more"] or not page["steps"]:
                return [step for chunk in reversed(pages) for step in chunk]
            bound = f"&before_sequence={page['steps'][0]['sequence']}"

    def wait_for_status(self, workflow_id: str, status: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            workflow = self.workflow(workflow_id)
            if workflow["status"] == f"WORKFLOW_STATUS_{status}":
                return workflow
            assert time.monotonic() < deadline, f"{workflow_id} is {workflow['status']}, not {status}, after {timeout} s"
            time.sleep(0.05)


# The browser ----------------------------------------------------------------------------------

class Browser:
    """A headless Chromium session with the waits and artefacts the tests share."""

    def __init__(self, driver: webdriver.Chrome, name: str):
        self.driver = driver
        self.name = name
        self.shots = 0

    def open(self, url: str):
        self.driver.get(url)

    def wait(self, timeout: float = 10):
        """A wait polling every 50 ms."""
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05,
                             ignored_exceptions=(StaleElementReferenceException,))

    def until(self, predicate, timeout: float = 10, message: str = ""):
        """Polls `predicate(driver)` every 50 ms until it returns something truthy, and returns that."""
        try:
            return self.wait(timeout).until(predicate)
        except TimeoutException:
            self.screenshot("timeout")
            raise TimeoutException(message or f"condition not met within {timeout} s")

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def find(self, testid: str, within=None):
        return (within or self.driver).find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def find_all(self, testid: str, within=None):
        return (within or self.driver).find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def css(self, selector: str):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def screenshot(self, label: str) -> Path:
        self.shots += 1
        path = artifacts_dir() / f"{self.name}-{self.shots:02d}-{label}.png"
        self.driver.save_screenshot(str(path))
        return path

    def resize(self, size):
        self.driver.set_window_size(*size)

    def wait_live(self, timeout: float = 10):
        self.until(lambda d: self.find("connection-state").get_attribute("data-state") == "live", timeout,
                   "the console did not connect")

    def log_entries(self):
        try:
            return self.driver.get_log("browser")
        except Exception:  # noqa: BLE001 - not every driver keeps the log
            return []


def set_offline(browser, offline: bool):
    """Cuts the selected tab off the network, or connects it again (DevTools network emulation)."""
    browser.driver.execute_cdp_cmd("Network.enable", {})
    browser.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


def make_driver() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking",
                     f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--lang=en-US", "--hide-scrollbars"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_window_size(*DESKTOP)
    driver.set_script_timeout(30)
    return driver
