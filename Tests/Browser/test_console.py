"""The browser console, driven in headless Chromium against a real workflowd.

Workflows are started through the JSON API (plain HTTP), except where a test is about a button
or times the page (then the page itself asks the API, so both ends are timed by its clock); the
console is only looked at. Waits poll every 50 ms; bounds are generous (about ten times what they
guard) except the list's one second, which is the product requirement.
"""

import hashlib
import json
import os
import shutil
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from browser_support import DESKTOP, PHONE, Server, free_port, set_offline

# One round trip: what a workflow page shows right now.
PAGE_STATE = """
const status = document.querySelector('[data-testid="workflow-status"]');
const jobs = [...document.querySelectorAll('[data-testid="job-row"]')].map((row) => ({
  id: row.dataset.jobId,
  status: row.dataset.status,
  progress: Number(row.querySelector('[data-testid="job-progress"]').dataset.progress),
}));
const rows = [...document.querySelectorAll('[data-testid="log-row"]')].map((row) => Number(row.dataset.sequence));
return { status: status ? status.dataset.status : null, jobs, rows,
         connection: document.querySelector('[data-testid="connection-state"]').dataset.state };
"""

LOG_ROWS = """return [...document.querySelectorAll('[data-testid="log-row"]')].map((row) => Number(row.dataset.sequence));"""

LIST_ROWS = """return [...document.querySelectorAll('[data-testid="workflow-row"]')].map((row) => [row.dataset.workflowId, row.dataset.status]);"""

# Records, by the page's clock, when each workflow row first enters the DOM (installed before the
# workflow is started, so WebDriver's polling does not count).
WATCH_ROWS = """
if (window.__rowSeen) return;
window.__rowSeen = {};
window.__answeredAt = {};
new MutationObserver((records) => {
  const now = performance.now();
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (node.nodeType !== Node.ELEMENT_NODE) continue;
      const rows = node.matches('[data-testid="workflow-row"]') ? [node] : node.querySelectorAll('[data-testid="workflow-row"]');
      for (const row of rows) {
        if (!(row.dataset.workflowId in window.__rowSeen)) window.__rowSeen[row.dataset.workflowId] = now;
      }
    }
  }
}).observe(document.body, { childList: true, subtree: true });
"""

# Starts a workflow from the page and records, by its clock, when the API answered.
START_IN_PAGE = """
const [body, done] = arguments;
fetch('/api/v1/workflows', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
  .then((response) => {
    const answered = performance.now();
    return response.json().then((answer) => {
      window.__answeredAt[answer.workflow_id] = answered;
      done(answer.workflow_id);
    });
  })
  .catch((error) => done('error: ' + error));
"""


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def row_selector(workflow_id: str) -> str:
    return f'[data-testid="workflow-row"][data-workflow-id="{workflow_id}"]'


def start_timed_workflow(browser, params: dict, *, type: str = "TEST", user_id: str = "u1",
                         user_name: str = "Ada", summary: str = "Import Gold Mine") -> str:
    """Starts a workflow from the page, with a row watcher installed first (see row_delay)."""
    browser.js(WATCH_ROWS)
    workflow_id = browser.driver.execute_async_script(START_IN_PAGE, {
        "type": type, "params": {k: str(v) for k, v in params.items()},
        "user_id": user_id, "user_name": user_name, "summary": summary,
    })
    assert not workflow_id.startswith("error"), workflow_id
    return workflow_id


def row_delay(browser, workflow_id: str, timeout: float = 10) -> float:
    """Seconds from the API's answer to the row's first appearance, both by the page's clock."""
    browser.until(lambda d: browser.js("return arguments[0] in window.__rowSeen", workflow_id), timeout,
                  f"the row of {workflow_id} never appeared")
    return browser.js("return (window.__rowSeen[arguments[0]] - window.__answeredAt[arguments[0]]) / 1000", workflow_id)


def open_list(browser, server, hash_part: str = "#/"):
    browser.open(f"{server.url}/{hash_part}")
    browser.wait_live()
    browser.until(lambda d: browser.find("list-view").get_attribute("data-loaded") == "true", 10, "the list did not load")


def open_workflow(browser, server, workflow_id: str, query: str = ""):
    browser.open(f"{server.url}/#/workflows/{workflow_id}{query}")
    browser.until(lambda d: browser.find("workflow-view").get_attribute("data-loaded") == "true", 10,
                  "the workflow page did not load")


def list_row_ids(browser) -> set[str]:
    return {workflow_id for workflow_id, _ in browser.js(LIST_ROWS)}


def api_step_sequences(server, workflow_id: str) -> list[int]:
    return [int(step["sequence"]) for step in server.all_steps(workflow_id)]


def short(status: str) -> str:
    """`WORKFLOW_STATUS_FAILED` → `FAILED`, as the console's data-status attributes say it."""
    return status.split("_STATUS_")[-1]


def total_step_count(workflow: dict) -> int:
    return sum(job["step_count"] for job in workflow["jobs"])


# 1 ------------------------------------------------------------------------------------------

def test_list_shows_a_new_workflow_within_a_second(server, browser):
    open_list(browser, server)
    browser.screenshot("list-before")
    summary = unique("Live row")

    workflow_id = start_timed_workflow(browser, {"jobs": 2, "steps": 10, "step_delay_ms": 100}, summary=summary)
    elapsed = row_delay(browser, workflow_id)
    row = browser.driver.find_element(By.CSS_SELECTOR, row_selector(workflow_id))
    browser.screenshot("list-new-row")
    assert elapsed <= 1.0, f"the row appeared {elapsed:.3f} s after the API answered, not within 1 s"
    assert summary in row.text
    assert row.get_attribute("data-status") in ("RUNNING", "COMPLETED")

    # And it keeps following: in-job progress is pushed (the bar moves step by step while it
    # runs), and the row turns COMPLETED without a reload.
    progress_seen = set()

    def completed(driver):
        state = browser.js("""const row = document.querySelector(arguments[0]);
            const bar = row && row.querySelector('[data-testid="row-progress"]');
            return row && [row.dataset.status, bar ? Number(bar.dataset.progress) : null];""", row_selector(workflow_id))
        if state and state[1] is not None and 0 < state[1] < 1:
            progress_seen.add(state[1])
        return state and state[0] == "COMPLETED"

    browser.until(completed, 30, "the row did not turn COMPLETED")
    assert len(progress_seen) >= 5, f"the row's progress did not follow the workflow live: {sorted(progress_seen)}"
    assert server.workflow(workflow_id)["status"] == "WORKFLOW_STATUS_COMPLETED"
    assert browser.js("return performance.getEntriesByType('navigation').length") == 1, "the page was reloaded"
    browser.screenshot("list-completed")


# 2 ------------------------------------------------------------------------------------------

def test_workflow_page_follows_a_running_workflow_to_its_end(server, browser):
    # About 12 s: the page surely opens while it runs, even on a busy machine.
    workflow_id = server.start_workflow({"jobs": 3, "steps": 80, "step_delay_ms": 50}, summary=unique("Followed"))
    open_workflow(browser, server, workflow_id)
    assert browser.js(PAGE_STATE)["status"] == "RUNNING" or server.workflow(workflow_id)["status"] == "WORKFLOW_STATUS_RUNNING", (
        "the workflow ended before its page opened: the test follows nothing")

    samples: list[dict] = []
    shot_taken = []

    def sample(driver):
        state = browser.js(PAGE_STATE)
        samples.append(state)
        if state["status"] == "RUNNING" and len(state["rows"]) > 5 and not shot_taken:
            shot_taken.append(browser.screenshot("running"))
        return state if state["status"] == "COMPLETED" else None

    final = browser.until(sample, 60, "the page never showed COMPLETED")
    # The last events may land a frame after the status: wait for the log to settle.
    workflow = server.wait_for_status(workflow_id, "COMPLETED")
    expected = api_step_sequences(server, workflow_id)
    final = browser.until(lambda d: (s := browser.js(PAGE_STATE)) and len(s["rows"]) == len(expected) and s, 10,
                          "the log does not hold every step")
    browser.screenshot("completed")

    running = [s for s in samples if s["status"] == "RUNNING"]
    assert running, "the page never showed the workflow RUNNING"
    # Progress bars moved: several values strictly between 0 and 1 were shown.
    partial = {(job["id"], job["progress"]) for s in running for job in s["jobs"] if 0 < job["progress"] < 1}
    assert len(partial) >= 3, f"progress bars did not move while running: {sorted(partial)}"
    # Steps appeared live: the log grew while the workflow ran.
    counts = sorted({len(s["rows"]) for s in running})
    assert len(counts) >= 3, f"log lines did not appear live: row counts seen while running {counts}"

    assert all(job["status"] == "COMPLETED" and job["progress"] == 1 for job in final["jobs"]), final["jobs"]
    assert len(final["rows"]) == total_step_count(workflow) == 240
    assert final["rows"] == expected, "the log's lines differ from the API's steps"
    assert browser.find("log-count").text.startswith("240 lines")


# 3 ------------------------------------------------------------------------------------------

def test_failure_notice_on_the_list_retries_and_leads_to_details(server, browser):
    open_list(browser, server)
    workflow_id = server.start_workflow({"jobs": 3, "steps": 10, "step_delay_ms": 20, "fail_job": 2, "fail_attempts": 1},
                                        summary=unique("Import Gold Mine"))
    notice_selector = f'[data-testid="failure-notice"][data-workflow-id="{workflow_id}"]'
    notice = browser.until(lambda d: d.find_elements(By.CSS_SELECTOR, notice_selector), 30,
                           "no failure notice was raised")[0]
    browser.until(lambda d: "TEST failed at Process: Simulated failure" in notice.text, 10,
                  f"the notice does not name the failure: {notice.text!r}")
    browser.until(lambda d: d.find_element(By.CSS_SELECTOR, row_selector(workflow_id)).get_attribute("data-status") == "FAILED",
                  10, "the row did not turn FAILED")
    browser.screenshot("notice")

    browser.find("notice-retry", notice).click()
    browser.until(lambda d: d.find_element(By.CSS_SELECTOR, row_selector(workflow_id)).get_attribute("data-status") == "COMPLETED",
                  30, "the retried workflow did not show COMPLETED in the list")
    browser.until(lambda d: notice.get_attribute("data-state") == "completed", 10, "the notice did not follow the retry")
    workflow = server.workflow(workflow_id)
    assert workflow["status"] == "WORKFLOW_STATUS_COMPLETED" and workflow["attempt"] == 2, workflow
    browser.screenshot("retried")

    browser.find("notice-details", notice).click()
    browser.until(lambda d: d.current_url.endswith(f"#/workflows/{workflow_id}"), 10, "View details did not navigate")
    browser.until(lambda d: browser.find("workflow-status").get_attribute("data-status") == "COMPLETED", 10)
    process = browser.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="job-row"]')[1], 10)
    attempt = browser.until(lambda d: browser.find_all("job-attempt", process), 10, "no failed attempt shown")[0]
    failed = next(a for a in workflow["jobs"][1]["failed_attempts"] if a["attempt"] == 1)
    assert attempt.get_attribute("data-attempt") == "1"
    assert failed["error"] in browser.find("attempt-error", attempt).text
    browser.find("attempt-stack-toggle", attempt).click()
    stack = browser.find("attempt-stack", attempt)
    browser.until(lambda d: stack.is_displayed(), 5, "the stack did not open")
    assert stack.text == failed["stack"] and "JobError" in stack.text
    browser.screenshot("details")


# 4 ------------------------------------------------------------------------------------------

def test_log_resumes_after_a_server_restart_without_losing_or_repeating_lines(browser):
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="workflowd-browser-restart-")
    # A short grace period: the running job is interrupted, and resumes as a new attempt.
    arguments = ("--shutdown-grace-period", "0.5")
    first = Server(*arguments, data_dir=data_dir, http_port=port)
    second = None
    try:
        workflow_id = first.start_workflow({"jobs": 2, "steps": 60, "step_delay_ms": 100}, summary=unique("Restarted"))
        open_workflow(browser, first, workflow_id)
        browser.until(lambda d: len(browser.js(LOG_ROWS)) >= 10, 30, "no log lines before the restart")
        browser.screenshot("before-restart")

        assert first.stop(remove_data=False) == 0, "".join(first.log[-30:])
        browser.until(lambda d: browser.find("connection-state").get_attribute("data-state") == "reconnecting", 20,
                      "the page did not show that it reconnects")
        browser.screenshot("server-down")

        second = Server(*arguments, data_dir=data_dir, http_port=port)
        assert second.url == first.url
        browser.until(lambda d: browser.find("workflow-status").get_attribute("data-status") == "COMPLETED", 120,
                      "the page did not follow the workflow to its end after the restart")
        second.wait_for_status(workflow_id, "COMPLETED")
        expected = api_step_sequences(second, workflow_id)
        rows = browser.until(lambda d: (r := browser.js(LOG_ROWS)) and len(r) >= len(expected) and r, 20,
                             "the log does not hold every step")
        browser.until(lambda d: browser.find("connection-state").get_attribute("data-state") == "live", 20)
        browser.screenshot("after-restart")

        assert len(rows) == len(set(rows)), "the log repeats lines"
        assert rows == sorted(rows), "the log is out of order"
        assert set(rows) == set(expected), (
            f"lost: {sorted(set(expected) - set(rows))[:10]}, extra: {sorted(set(rows) - set(expected))[:10]}")
        assert rows == expected
        attempts = {step["attempt"] for step in second.all_steps(workflow_id)}
        assert max(attempts) >= 2, "the restart did not interrupt a job: the test did not span it"
    finally:
        first.stop(remove_data=False)
        if second is not None:
            second.stop(remove_data=False)
        shutil.rmtree(data_dir, ignore_errors=True)


def expect_the_log_of_the_server_that_lost_events(browser, server, workflow_id: str):
    """The page follows the workflow to its end on `server`, and its log window holds exactly
    that server's steps: none it lost, none repeated, none left out."""
    browser.until(lambda d: browser.find("workflow-status").get_attribute("data-status") == "COMPLETED", 120,
                  "the page did not follow the workflow to its end on the server that lost events")
    expected = api_step_sequences(server, workflow_id)
    browser.until(lambda d: browser.js(LOG_ROWS)[-1] == expected[-1], 20, "the log did not reach the last step")
    browser.screenshot("after-lost-tail")
    rows = browser.js(LOG_ROWS)
    assert len(rows) == len(set(rows)) and rows == sorted(rows)
    tail = [sequence for sequence in expected if sequence >= rows[0]]
    assert rows == tail, f"lost: {sorted(set(tail) - set(rows))[:10]}, extra: {sorted(set(rows) - set(tail))[:10]}"


def test_a_log_that_lost_its_tail_in_a_crash_is_read_again_not_resumed(browser):
    """A crash loses the events the store had not committed, and the restarted server gives
    their sequences to new events. Played here with a copy of the data directory taken before
    the lost events: a page that resumed after the last sequence it saw would skip the new
    events below it and keep lines that no longer exist."""
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="workflowd-browser-crash-")
    earlier = data_dir + "-earlier"
    arguments = ("--shutdown-grace-period", "0.2")
    servers = []
    try:
        servers.append(Server(*arguments, data_dir=data_dir, http_port=port))
        workflow_id = servers[-1].start_workflow({"jobs": 1, "steps": 200, "step_delay_ms": 60}, summary=unique("Crashed"))
        open_workflow(browser, servers[-1], workflow_id)
        browser.until(lambda d: len(browser.js(LOG_ROWS)) >= 10, 30, "no log lines at first")
        assert servers[-1].stop(remove_data=False) == 0
        shutil.copytree(data_dir, earlier)

        # The events the crash will lose: the page sees them.
        servers.append(Server(*arguments, data_dir=data_dir, http_port=port))
        seen = len(browser.js(LOG_ROWS))
        browser.until(lambda d: len(browser.js(LOG_ROWS)) >= seen + 20, 60, "the page did not follow the second server")
        set_offline(browser, True)
        assert servers[-1].stop(remove_data=False) == 0
        lost = max(browser.js(LOG_ROWS))

        # The server comes back without them, and its new events take their sequences (and
        # more) before the page is back.
        servers.append(Server(*arguments, data_dir=earlier, http_port=port))
        filler = servers[-1].start_workflow({"jobs": 1, "steps": 300, "step_delay_ms": 0}, summary=unique("Filler"))
        servers[-1].wait_for_status(filler, "COMPLETED")
        assert servers[-1].workflow(workflow_id)["as_of_sequence"] and int(servers[-1].workflow(workflow_id)["as_of_sequence"]) > lost
        set_offline(browser, False)

        expect_the_log_of_the_server_that_lost_events(browser, servers[-1], workflow_id)
    finally:
        for server in servers:
            server.stop(remove_data=False)
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(earlier, ignore_errors=True)


# 5 ------------------------------------------------------------------------------------------

def test_cancel_button_ends_a_running_workflow(server, browser):
    workflow_id = server.start_workflow({"jobs": 3, "steps": 400, "step_delay_ms": 50}, summary=unique("Cancelled"))
    open_workflow(browser, server, workflow_id)
    browser.until(lambda d: browser.find("workflow-status").get_attribute("data-status") == "RUNNING", 10)
    browser.until(lambda d: len(browser.js(LOG_ROWS)) > 3, 20, "no log lines")
    assert not browser.find_all("retry-button")[0].is_displayed()

    cancel = browser.find("cancel-button")
    cancel.click()
    assert cancel.get_attribute("data-confirming") == "true", "the first click should ask for confirmation"
    assert server.workflow(workflow_id)["status"] == "WORKFLOW_STATUS_RUNNING"
    browser.screenshot("confirm")
    cancel.click()

    browser.until(lambda d: browser.find("workflow-status").get_attribute("data-status") == "CANCELLED", 30,
                  "the page did not show CANCELLED")
    workflow = server.workflow(workflow_id)
    assert workflow["status"] == "WORKFLOW_STATUS_CANCELLED"
    browser.until(lambda d: not browser.find("cancel-button").is_displayed(), 5)
    browser.until(lambda d: [r.get_attribute("data-status") for r in browser.find_all("job-row")]
                  == [short(job["status"]) for job in server.workflow(workflow_id)["jobs"]], 10,
                  "the jobs do not show the API's statuses")
    assert "CANCELLED" in [r.get_attribute("data-status") for r in browser.find_all("job-row")]
    browser.screenshot("cancelled")



# 6 ------------------------------------------------------------------------------------------

def test_list_filters_and_counts(server, browser, tmp_path):
    tag = uuid.uuid4().hex[:8]
    user = f"filter-{tag}"
    gold_done = server.start_workflow({"jobs": 1, "steps": 1}, user_id=user, user_name="Filter User", summary=f"Gold import {tag}")
    silver_done = server.start_workflow({"jobs": 1, "steps": 1}, user_id=user, user_name="Filter User", summary=f"Silver import {tag}")
    gold_failed = server.start_workflow({"jobs": 1, "steps": 2, "fail_job": 1}, user_id=user, user_name="Filter User", summary=f"GOLD export {tag}")
    copper_running = server.start_workflow({"jobs": 1, "steps": 5000, "step_delay_ms": 50}, user_id=user, user_name="Filter User", summary=f"Copper import {tag}")
    export = server.start_workflow({"output_dir": str(tmp_path)}, type="EXPORT_PACKAGE", user_id=user, user_name="Filter User", summary=f"Gold package {tag}")
    for workflow_id, status in ((gold_done, "COMPLETED"), (silver_done, "COMPLETED"), (gold_failed, "FAILED"), (export, "COMPLETED")):
        server.wait_for_status(workflow_id, status)
    mine = {gold_done, silver_done, gold_failed, copper_running, export}
    try:
        open_list(browser, server)
        # User: only this test's workflows.
        browser.find("filter-user").send_keys(user)
        # (In the hash first: run alone, this test's workflows may be all the list holds anyway.)
        browser.until(lambda d: f"user={user}" in d.current_url and list_row_ids(browser) == mine, 10, "the user filter did not narrow the list")

        # Counts per type and status, for this user.
        counts = server.api("GET", f"/api/v1/workflow-counts?user_id={user}")["counts"]
        expected = {(c["type"], short(c["status"])): int(c["count"]) for c in counts}
        assert expected == {("TEST", "COMPLETED"): 2, ("TEST", "FAILED"): 1, ("TEST", "RUNNING"): 1, ("EXPORT_PACKAGE", "COMPLETED"): 1}

        def shown_counts(driver):
            chips = browser.find_all("status-chip")
            return {(c.get_attribute("data-type"), c.get_attribute("data-status")): int(c.get_attribute("data-count")) for c in chips}

        browser.until(lambda d: shown_counts(d) == expected, 10, "the counts per type and status differ from the API's")
        chip_texts = {(c.get_attribute("data-type"), c.get_attribute("data-status")): c.text for c in browser.find_all("status-chip")}
        assert chip_texts[("TEST", "COMPLETED")].endswith("2") and chip_texts[("TEST", "FAILED")].endswith("1")
        browser.screenshot("user-filter")

        # Status.
        Select(browser.find("filter-status")).select_by_value("FAILED")
        browser.until(lambda d: list_row_ids(browser) == {gold_failed}, 10, "the status filter did not narrow the list")
        Select(browser.find("filter-status")).select_by_value("")
        browser.until(lambda d: list_row_ids(browser) == mine, 10)

        # Text in the summary, ignoring case.
        browser.find("filter-text").send_keys("gold")
        browser.until(lambda d: list_row_ids(browser) == {gold_done, gold_failed, export}, 10, "the text filter did not narrow the list")

        # Type.
        Select(browser.find("filter-type")).select_by_value("EXPORT_PACKAGE")
        browser.until(lambda d: list_row_ids(browser) == {export}, 10, "the type filter did not narrow the list")
        Select(browser.find("filter-type")).select_by_value("")
        browser.until(lambda d: list_row_ids(browser) == {gold_done, gold_failed, export}, 10)

        # A count chip filters by its type and status.
        chip = browser.driver.find_element(By.CSS_SELECTOR, '[data-testid="status-chip"][data-type="TEST"][data-status="COMPLETED"]')
        browser.until(lambda d: chip.get_attribute("data-count") == "1", 10, "the counts do not follow the text filter")
        chip.click()
        browser.until(lambda d: list_row_ids(browser) == {gold_done}, 10, "the chip did not filter")
        browser.screenshot("chip-filter")

        # The filters live in the hash: a reload keeps them, and so does going back.
        browser.driver.refresh()
        browser.until(lambda d: browser.find("list-view").get_attribute("data-loaded") == "true", 10)
        browser.until(lambda d: list_row_ids(browser) == {gold_done}, 10, "a reload lost the filters")
        assert browser.find("filter-user").get_attribute("value") == user
        assert browser.find("filter-text").get_attribute("value") == "gold"
        assert Select(browser.find("filter-status")).first_selected_option.get_attribute("value") == "COMPLETED"
        browser.driver.back()
        browser.until(lambda d: list_row_ids(browser) == {gold_done, gold_failed, export}, 10, "going back did not restore the filters")
        browser.screenshot("back")
    finally:
        server.call("POST", f"/api/v1/workflows/{copper_running}/cancel", {"reason": "test over"})


# 7 ------------------------------------------------------------------------------------------

def test_a_long_log_opens_quickly_and_keeps_a_window(server, browser):
    steps = int(os.environ.get("WORKFLOW_TEST_LONG_STEPS", "20000"))
    workflow_id = server.start_workflow({"jobs": 1, "steps": steps, "step_delay_ms": 0}, summary=unique("Long log"))
    server.wait_for_status(workflow_id, "COMPLETED", timeout=300)
    expected = api_step_sequences(server, workflow_id)
    assert len(expected) == steps

    started = time.monotonic()
    browser.open(f"{server.url}/#/workflows/{workflow_id}")
    browser.until(lambda d: browser.js(LOG_ROWS), 10, "the log did not show")
    opened = time.monotonic() - started
    browser.screenshot("opened")
    assert opened < 10, f"the page took {opened:.1f} s to show its log"
    rows = browser.js(LOG_ROWS)
    assert rows == expected[-len(rows):], "the page does not open on the newest lines"
    assert len(rows) <= 500

    # Scrolling up reads older pages; the DOM keeps a bounded window.
    for _ in range(6):
        oldest = rows[0]
        browser.js("""const v = document.querySelector('[data-testid="log-viewport"]'); v.scrollTop = 0;""")
        rows = browser.until(lambda d: (r := browser.js(LOG_ROWS)) and r[0] < oldest and r, 10, "scrolling up loaded no older lines")
        assert len(rows) <= 600, f"{len(rows)} log rows in the DOM"
        start = expected.index(rows[0])
        assert rows == expected[start:start + len(rows)], "the window is not a contiguous slice of the log"
    assert rows[-1] < expected[-1], "the window should have dropped the newest rows"
    browser.screenshot("scrolled-up")

    # Back to the newest.
    browser.find("jump-newest").click()
    rows = browser.until(lambda d: (r := browser.js(LOG_ROWS)) and r[-1] == expected[-1] and r, 10, "jump to newest failed")
    assert len(rows) <= 600
    assert rows == expected[-len(rows):]
    browser.screenshot("newest")

    # The page read a few pages of steps, none large: its own network use says so.
    reads = browser.js("""return performance.getEntriesByType('resource').map((e) => e.name)
        .filter((name) => new URL(name).pathname.endsWith('/steps'));""")
    sizes = [int(parse_qs(urlparse(url).query).get("page_size", ["100"])[0]) for url in reads]
    assert reads and all(0 < size <= 1000 for size in sizes), f"steps read with page sizes {sizes}"
    # The first window, six pages up, the newest again: a few more at most.
    assert len(reads) <= 16, f"{len(reads)} reads of steps for 8 windows: {reads}"


# More: the workflow page's own Retry button and the log's filters -----------------------------

def test_retry_button_and_log_filters(server, browser):
    workflow_id = server.start_workflow({"jobs": 2, "steps": 6, "step_delay_ms": 10, "fail_job": 2, "fail_attempts": 1},
                                        summary=unique("Filtered"))
    server.wait_for_status(workflow_id, "FAILED")
    open_workflow(browser, server, workflow_id)
    browser.until(lambda d: browser.find("workflow-status").get_attribute("data-status") == "FAILED", 10)
    assert "Simulated failure" in browser.find("workflow-error").text
    assert "JobError" in browser.find("job-stack").text
    assert not browser.find("cancel-button").is_displayed()
    all_rows = browser.until(lambda d: browser.js(LOG_ROWS), 10)
    assert all_rows == api_step_sequences(server, workflow_id)
    browser.screenshot("failed")

    # Minimum level: errors only (filtered by the server).
    Select(browser.find("filter-level")).select_by_value("ERROR")
    errors = [int(s["sequence"]) for s in server.all_steps(workflow_id) if s["level"] == "LOG_LEVEL_ERROR"]
    assert errors
    browser.until(lambda d: browser.js(LOG_ROWS) == errors, 10, "the level filter did not narrow the log")
    assert "level=ERROR" in browser.driver.current_url

    # An entity tag filters by it, with a removable chip.
    Select(browser.find("filter-level")).select_by_value("")
    browser.until(lambda d: browser.js(LOG_ROWS) == all_rows, 10)
    link = browser.find_all("entity-link")[0]
    tag = link.text
    link.click()
    chip = browser.until(lambda d: (c := browser.find("filter-entity")).is_displayed() and c, 10, "no entity chip")
    assert tag in chip.text
    tagged = [int(s["sequence"]) for s in server.all_steps(workflow_id) if s["step"]["entity"]["tag"] == tag]
    browser.until(lambda d: browser.js(LOG_ROWS) == tagged, 10, "the entity filter did not narrow the log")
    browser.screenshot("entity-filter")
    browser.find("filter-entity-remove").click()
    browser.until(lambda d: browser.js(LOG_ROWS) == all_rows, 10, "removing the chip did not bring the lines back")

    # Retry: runs again, followed live, with the new lines appended.
    browser.js("window.scrollTo(0, 0)")
    browser.find("retry-button").click()
    browser.until(lambda d: browser.find("workflow-status").get_attribute("data-status") == "COMPLETED", 30,
                  "the retried workflow did not show COMPLETED")
    server.wait_for_status(workflow_id, "COMPLETED")
    expected = api_step_sequences(server, workflow_id)
    browser.until(lambda d: browser.js(LOG_ROWS) == expected, 10, "the log did not follow the retry")
    assert "attempt 2" in browser.find("action-status").text
    browser.screenshot("retried")


MARKUP = '<img src=x onerror="window.__xss=1"><b>bold</b>'


def test_server_text_with_markup_shows_as_text(server, browser):
    """Summaries, user names and errors are user data: shown literally, never parsed as HTML."""
    open_list(browser, server)
    summary = f"{MARKUP} {unique('Summary')}"
    user_name = f"{MARKUP} user"
    fail_message = f"{MARKUP} failure"
    workflow_id = server.start_workflow({"jobs": 2, "steps": 4, "step_delay_ms": 10, "fail_job": 2, "fail_message": fail_message},
                                        user_id=unique("xss"), user_name=user_name, summary=summary)
    server.wait_for_status(workflow_id, "FAILED")

    def no_markup_ran():
        assert browser.js("return window.__xss") is None, "markup from the server ran as HTML"
        assert browser.js("return document.querySelectorAll('#main img, #notices img').length") == 0, "markup became elements"

    # The list's row and the failure notice.
    row = browser.until(lambda d: (r := d.find_elements(By.CSS_SELECTOR, row_selector(workflow_id)))
                        and r[0].get_attribute("data-status") == "FAILED" and r[0], 10, "the row did not turn FAILED")
    assert summary in row.text and user_name in row.text and fail_message in row.text, row.text
    notice = browser.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-testid="failure-notice"][data-workflow-id="{workflow_id}"]'),
                           10, "no failure notice")[0]
    browser.until(lambda d: summary in notice.text and user_name in notice.text, 10, f"the notice does not name the workflow: {notice.text!r}")
    assert fail_message in browser.find("notice-message", notice).text
    no_markup_ran()
    browser.screenshot("list")

    # The workflow page: title, user, errors, and the log (whose lines the TEST type writes itself).
    browser.find("notice-details", notice).click()
    browser.until(lambda d: browser.find("workflow-view").get_attribute("data-loaded") == "true", 10)
    browser.until(lambda d: browser.find("workflow-summary").text == summary, 10, "the title is not the summary, literally")
    assert user_name in browser.find("meta-user").text
    assert fail_message in browser.find("workflow-error").text
    assert fail_message in browser.find("job-error").text
    rows = browser.until(lambda d: browser.find_all("log-row"), 10, "no log lines")
    assert [int(r.get_attribute("data-sequence")) for r in rows] == api_step_sequences(server, workflow_id)
    assert browser.js("return document.title").startswith(summary)
    no_markup_ran()
    browser.screenshot("workflow")


def test_an_api_error_is_shown(server, browser):
    browser.open(f"{server.url}/#/workflows/wf-does-not-exist")
    browser.until(lambda d: browser.find("workflow-view").get_attribute("data-loaded") == "error", 10)
    status, answer = server.call("GET", "/api/v1/workflows/wf-does-not-exist")
    assert status == 404
    error = browser.find("workflow-error")
    assert error.is_displayed()
    assert answer["message"] in error.text and "NOT_FOUND" in error.text
    browser.screenshot("not-found")


# Phone -----------------------------------------------------------------------------------------

def test_phone_layout(server, browser):
    workflow_id = server.start_workflow({"jobs": 3, "steps": 30, "step_delay_ms": 20, "fail_job": 3}, summary=unique("Phone sized import of a gold mine"))
    server.wait_for_status(workflow_id, "FAILED")
    browser.resize(PHONE)
    open_list(browser, server)
    browser.until(lambda d: d.find_elements(By.CSS_SELECTOR, row_selector(workflow_id)), 10)
    assert_no_horizontal_scroll(browser)
    browser.screenshot("phone-list")

    open_workflow(browser, server, workflow_id)
    browser.until(lambda d: browser.js(LOG_ROWS), 10)
    assert_no_horizontal_scroll(browser)
    browser.screenshot("phone-workflow")
    browser.js("document.querySelector('[data-testid=\"log\"]').scrollIntoView()")
    browser.screenshot("phone-log")
    browser.resize(DESKTOP)


def assert_no_horizontal_scroll(browser):
    width = browser.js("return document.documentElement.scrollWidth")
    inner = browser.js("return window.innerWidth")
    assert width <= inner, f"the page is {width} px wide in a {inner} px window"


def test_list_follows_a_server_that_comes_back_with_another_log(browser):
    """The server returns on the same port with a fresh data directory: its sequences start
    again, so resuming after the last one seen is refused (OUT_OF_RANGE); the console starts
    over live instead of retrying forever."""
    port = free_port()
    first = Server(http_port=port)
    second = None
    try:
        for _ in range(3):
            first.start_workflow({"jobs": 2, "steps": 5})
        open_list(browser, first)
        before = first.start_workflow({"jobs": 2, "steps": 5}, summary=unique("Before"))
        browser.until(lambda d: d.find_elements(By.CSS_SELECTOR, row_selector(before)), 10)
        assert first.stop() == 0
        browser.until(lambda d: browser.find("connection-state").get_attribute("data-state") == "reconnecting", 20)

        second = Server(http_port=port)
        browser.until(lambda d: browser.find("connection-state").get_attribute("data-state") == "live", 30,
                      "the console did not reconnect to the new server")
        after = second.start_workflow({"jobs": 1, "steps": 1}, summary=unique("After"))
        browser.until(lambda d: d.find_elements(By.CSS_SELECTOR, row_selector(after)), 10,
                      "a workflow of the new server did not appear live")
        browser.screenshot("new-server")
    finally:
        first.stop()
        if second is not None:
            second.stop()


# Grouped by type --------------------------------------------------------------------------------

GROUPS = """return [...document.querySelectorAll('[data-testid="type-group"]')].map((group) => [group.dataset.type,
  [...group.querySelectorAll('[data-testid="workflow-row"]')].map((row) => row.dataset.workflowId)]);"""


def group_selector(workflow_type: str) -> str:
    return f'[data-testid="type-group"][data-type="{workflow_type}"]'


def test_list_grouped_by_type_pages_collapses_and_grows_a_new_type_live(browser, tmp_path):
    """A server of its own: which types exist is part of what is checked."""
    server = Server()
    try:
        user = unique("grouped")
        started = [server.start_workflow({"jobs": 1, "steps": 1}, user_id=user, summary=f"Batch {n:02d}") for n in range(12)]
        for workflow_id in started:
            server.wait_for_status(workflow_id, "COMPLETED")
        newest = [wf["id"] for wf in server.api("GET", f"/api/v1/workflows?type=TEST&user_id={user}&page_size=50")["workflows"]]
        assert sorted(newest) == sorted(started)

        open_list(browser, server)
        assert "group=" not in browser.driver.current_url, "grouped is the default"
        # One group, its newest ten in the server's order, its total and chips from the counts.
        browser.until(lambda d: browser.js(GROUPS) == [["TEST", newest[:10]]], 10, f"the TEST group is not the newest ten: {browser.js(GROUPS)}")
        group = browser.driver.find_element(By.CSS_SELECTOR, group_selector("TEST"))
        browser.until(lambda d: browser.find("group-total", group).text == "12", 10, "the group does not show its total")
        chip = browser.find("status-chip", group)
        assert (chip.get_attribute("data-status"), chip.get_attribute("data-count")) == ("COMPLETED", "12")
        assert "10 of 12" in browser.find("list-status", group).text
        browser.screenshot("grouped")

        # Show more: the next page of that type only.
        browser.find("group-more", group).click()
        browser.until(lambda d: browser.js(GROUPS) == [["TEST", newest]], 10, "Show more did not read the next page")
        assert not browser.find("group-more", group).is_displayed()

        # A type never seen before gets its group live, in alphabetical place, within a second.
        export = start_timed_workflow(browser, {"output_dir": str(tmp_path)}, type="EXPORT_PACKAGE", user_id=user, summary=unique("Package"))
        elapsed = row_delay(browser, export)
        browser.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'{group_selector("EXPORT_PACKAGE")} {row_selector(export)}'), 10,
                      "no EXPORT_PACKAGE group with the new workflow")
        assert elapsed <= 1.0, f"the new type's group appeared {elapsed:.3f} s after the API answered, not within 1 s"
        assert [t for t, _ in browser.js(GROUPS)] == ["EXPORT_PACKAGE", "TEST"]
        browser.until(lambda d: d.find_element(By.CSS_SELECTOR, row_selector(export)).get_attribute("data-status") == "COMPLETED",
                      30, "the new group's row did not follow its workflow")
        browser.until(lambda d: browser.find("group-total", d.find_element(By.CSS_SELECTOR, group_selector("EXPORT_PACKAGE"))).text == "1", 10)
        browser.screenshot("new-type")

        # Collapsing hides (and stops reading) a group, and is remembered across a reload.
        browser.find("group-collapse", group).click()
        browser.until(lambda d: group.get_attribute("data-collapsed") == "true" and not browser.find("group-rows", group).is_displayed(), 5)
        browser.driver.refresh()
        browser.until(lambda d: browser.find("list-view").get_attribute("data-loaded") == "true", 10)
        browser.until(lambda d: browser.js(GROUPS) == [["EXPORT_PACKAGE", [export]], ["TEST", []]], 10, f"collapsed after a reload: {browser.js(GROUPS)}")
        group = browser.driver.find_element(By.CSS_SELECTOR, group_selector("TEST"))
        assert group.get_attribute("data-collapsed") == "true"
        browser.screenshot("collapsed")
        browser.find("group-collapse", group).click()
        browser.until(lambda d: browser.js(GROUPS) == [["EXPORT_PACKAGE", [export]], ["TEST", newest[:10]]], 10, "expanding did not read the rows")

        # A type filter shows that group only; its name toggles it.
        browser.find("type-filter", group).click()
        browser.until(lambda d: browser.js(GROUPS) == [["TEST", newest[:10]]], 10, "the type filter did not leave one group")
        assert "type=TEST" in browser.driver.current_url
        browser.find("type-filter", browser.driver.find_element(By.CSS_SELECTOR, group_selector("TEST"))).click()
        browser.until(lambda d: [t for t, _ in browser.js(GROUPS)] == ["EXPORT_PACKAGE", "TEST"], 10)

        # Flat: one newest-first table of every type, kept in the hash.
        switch = browser.find("group-by-type").find_element(By.XPATH, "..")
        switch.click()
        browser.until(lambda d: list_row_ids(browser) == set(newest) | {export} and not browser.js(GROUPS), 10, "the flat list does not show every type")
        assert "group=off" in browser.driver.current_url
        assert [row_id for row_id, _ in browser.js(LIST_ROWS)] == [export] + newest
        browser.screenshot("flat")
        browser.driver.refresh()
        browser.until(lambda d: browser.find("list-view").get_attribute("data-loaded") == "true", 10)
        browser.until(lambda d: len(list_row_ids(browser)) == 13 and not browser.js(GROUPS), 10, "a reload lost the flat layout")
        browser.find("group-by-type").find_element(By.XPATH, "..").click()
        browser.until(lambda d: [t for t, _ in browser.js(GROUPS)] == ["EXPORT_PACKAGE", "TEST"], 10, "switching back did not group")
    finally:
        server.stop()


def upload(server, path: Path) -> str:
    """POSTs a file to the side port; its file id."""
    content = path.read_bytes()
    query = f"name={path.name}&sha256={hashlib.sha256(content).hexdigest()}"
    request = urllib.request.Request(f"{server.url}/api/v1/files?{query}", data=content, method="POST",
                                     headers={"Content-Type": "text/csv"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["file_id"]


def test_files_outputs_and_assets_open_from_the_workflow_pages(server, browser):
    root = Path(__file__).resolve().parents[2]
    imported = server.start_workflow({"file_id": upload(server, root / "Samples/assets.csv")}, type="IMPORT_ASSETS")
    server.wait_for_status(imported, "COMPLETED")
    exported = server.start_workflow({"package_name": "plant"}, type="EXPORT_PACKAGE")
    export = server.wait_for_status(exported, "COMPLETED")

    # The export's files are download links; each serves the artifact it names.
    open_workflow(browser, server, exported)
    links = browser.until(lambda d: len(found := browser.find_all("artifact-link")) == 3 and found, 10, "no file links")
    assert [link.text for link in links] == ["plant.json", "plant.xlsx", "plant.pdf"]
    for link, artifact in zip(links, export["artifacts"]):
        assert link.get_attribute("download") == artifact["name"]
        size = browser.driver.execute_async_script(
            "fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => arguments[1](b.byteLength))", link.get_attribute("href"))
        assert size == int(artifact["size_bytes"])
    result = browser.find("workflow-result").text
    assert "assets" in result and "xlsx_artifact_id" in result
    assert browser.find_all("entity-download"), "the steps that wrote the files link to them"
    browser.screenshot("export-files")

    # A step about an asset opens the asset's page; the asset's last change links back.
    open_workflow(browser, server, imported)
    assert "rows_read" in " ".join(o.text for o in browser.find_all("job-outputs"))
    opener = browser.until(lambda d: (found := browser.find_all("entity-open")) and found[0], 10, "no asset link in the log")
    asset_id = opener.get_attribute("href").rsplit("/", 1)[1]
    asset = server.api("GET", f"/api/v1/assets/{asset_id}")
    opener.click()
    browser.until(lambda d: browser.find("asset-title").text == f"{asset['tag']} · {asset['type']}", 10, "the asset page did not load")
    assert browser.find("asset-name").text == asset["name"]
    assert browser.find("asset-id").text == asset_id
    assert browser.find("asset-workflow").text == imported
    browser.screenshot("asset")
    browser.find("asset-workflow").click()
    browser.until(lambda d: browser.find("workflow-view").get_attribute("data-loaded") == "true", 10)

    # An unknown asset says so.
    browser.open(f"{server.url}/#/assets/999999")
    assert "no asset" in browser.until(lambda d: browser.find("asset-error").text, 10)
