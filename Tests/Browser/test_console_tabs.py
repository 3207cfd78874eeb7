"""Several console tabs in one Chromium: they share its six connections per host.

Selenium's window handles of one driver are tabs of one browser, sharing its connection pool.
Headless Chromium reports a tab that is not the selected one as hidden (document.visibilityState
'hidden', with visibilitychange events when switching), so no visibility is faked here. Each
test runs a workflowd of its own, so that its gauge of open event streams counts this browser's.
"""

import re
import shutil
import tempfile
import time
import urllib.request

from selenium.webdriver.common.by import By

from browser_support import Server, free_port, set_offline
from test_console import (LOG_ROWS, PAGE_STATE, api_step_sequences, expect_the_log_of_the_server_that_lost_events,
                          open_list, open_workflow, row_delay, row_selector, start_timed_workflow, unique)

STREAMS_GAUGE = re.compile(r"^workflow_http_event_streams(?:\{[^}]*\})?\s+([0-9.]+)\s*$", re.MULTILINE)


def open_event_streams(server) -> int:
    """The event streams the server holds open (its /metrics gauge)."""
    with urllib.request.urlopen(server.url + "/metrics", timeout=10) as response:
        match = STREAMS_GAUGE.search(response.read().decode())
    assert match, "no workflow_http_event_streams gauge in /metrics"
    return int(float(match.group(1)))


def wait_for_streams(browser, server, expected: int, why: str, timeout: float = 10):
    """Waits for the gauge to read `expected` (a closed stream is noticed by the server at once,
    but the browser may take a moment to close it)."""
    deadline = time.monotonic() + timeout
    while (count := open_event_streams(server)) != expected:
        if time.monotonic() > deadline:
            browser.screenshot("streams")
            raise AssertionError(f"{why}: the server holds {count} event streams, not {expected}")
        time.sleep(0.05)


def feed_role(browser) -> str:
    return browser.js("return document.documentElement.dataset.feed || ''")


def new_tab(browser):
    browser.driver.switch_to.new_window("tab")
    return browser.driver.current_window_handle


def test_five_tabs_hold_one_global_stream_and_pause_hidden_pages(browser):
    server = Server()
    try:
        # About 16 s each: they run while the tabs open, and on while some are hidden.
        workflows = [server.start_workflow({"jobs": 2, "steps": 80, "step_delay_ms": 100}, summary=unique(f"Tab {n}")) for n in range(4)]
        open_list(browser, server)
        list_tab = browser.driver.current_window_handle
        assert feed_role(browser) == "leader", "the first tab should open the global stream"

        pages = {}
        for workflow_id in workflows:
            pages[workflow_id] = new_tab(browser)
            open_workflow(browser, server, workflow_id)
            browser.until(lambda d: len(browser.js(PAGE_STATE)["rows"]) > 0, 10, "the workflow page shows no log")
            assert feed_role(browser) == "follower"
            assert browser.js("return document.visibilityState") == "visible"
        # The selected tab is a workflow page: the leader's global stream and that page's own.
        wait_for_streams(browser, server, 2, "one global stream and the visible page's")

        browser.driver.switch_to.window(list_tab)
        assert browser.js("return document.visibilityState") == "visible"
        browser.driver.switch_to.window(pages[workflows[0]])
        browser.driver.switch_to.window(list_tab)
        # The workflow pages are hidden now and hold nothing.
        wait_for_streams(browser, server, 1, "with the list selected")
        running = [w for w in workflows if server.workflow(w)["status"] == "WORKFLOW_STATUS_RUNNING"]
        assert running, "the workflows ended before their pages were hidden: the test spans nothing"

        # The list (the leader) still shows a new workflow within a second.
        summary = unique("Started with five tabs")
        started = start_timed_workflow(browser, {"jobs": 1, "steps": 5, "step_delay_ms": 20}, summary=summary)
        elapsed = row_delay(browser, started)
        assert elapsed <= 1.0, f"the row appeared {elapsed:.3f} s after the API answered, not within 1 s"
        browser.screenshot("list-tab")

        # Each page, shown again, resumes where it stopped and follows its workflow to the end:
        # every step once, in order, without a reload.
        for workflow_id, handle in pages.items():
            browser.driver.switch_to.window(handle)
            browser.until(lambda d: browser.find("workflow-status").get_attribute("data-status") == "COMPLETED", 180,
                          f"the page of {workflow_id} did not follow it to COMPLETED")
            server.wait_for_status(workflow_id, "COMPLETED")
            expected = api_step_sequences(server, workflow_id)
            rows = browser.until(lambda d: (s := browser.js(PAGE_STATE)) and len(s["rows"]) >= len(expected) and s["rows"], 10,
                                 f"the page of {workflow_id} does not hold every step")
            assert rows == expected, f"the log of {workflow_id} lost or repeated lines after being hidden"
            assert browser.js("return performance.getEntriesByType('navigation').length") == 1, "the page was reloaded"
            browser.screenshot(f"page-{workflow_id}")
        assert browser.js("return document.querySelector('[data-testid=\"connection-state\"]').dataset.state") == "live"
    finally:
        server.stop()


def test_closing_the_leader_tab_hands_the_global_stream_over(browser):
    server = Server()
    try:
        running = server.start_workflow({"jobs": 2, "steps": 200, "step_delay_ms": 50}, summary=unique("Watched"))
        open_list(browser, server)
        leader = browser.driver.current_window_handle
        assert feed_role(browser) == "leader"
        second_list = new_tab(browser)
        open_list(browser, server)
        page = new_tab(browser)
        open_workflow(browser, server, running)
        assert feed_role(browser) == "follower"
        # Every tab has seen a global event (a sequence to resume from).
        seen = server.start_workflow({"jobs": 1, "steps": 1}, summary=unique("Seen"))
        browser.driver.switch_to.window(second_list)
        browser.until(lambda d: d.find_elements(By.CSS_SELECTOR, row_selector(seen)), 10)

        # The remaining tabs are cut off the network, so whichever takes over cannot open its
        # stream before a workflow fails; back online, it must resume after the last sequence it
        # saw, or the failure notice is lost.
        for handle in (second_list, page):
            browser.driver.switch_to.window(handle)
            set_offline(browser, True)
        browser.driver.switch_to.window(leader)
        browser.driver.close()
        browser.driver.switch_to.window(second_list)
        wait_for_streams(browser, server, 0, "the closed leader's stream is still open")
        failing = server.start_workflow({"jobs": 2, "steps": 2, "fail_job": 1}, summary=unique("Failing during the handover"))
        server.wait_for_status(failing, "FAILED")
        assert open_event_streams(server) == 0, "a stream was open when the workflow failed: the test spans nothing"
        for handle in (second_list, page):
            browser.driver.switch_to.window(handle)
            set_offline(browser, False)
        browser.driver.switch_to.window(second_list)
        roles = {}

        def one_leader(driver):
            for handle in (second_list, page):
                driver.switch_to.window(handle)
                roles[handle] = feed_role(browser)
            return sorted(roles.values()) == ["follower", "leader"]

        browser.until(one_leader, 10, "no tab took the global stream over (or more than one did)")
        browser.driver.switch_to.window(second_list)
        # The closed tab's stream is gone; one global stream remains (the page is hidden), once
        # the new leader's backoff (3 s at most) has passed.
        wait_for_streams(browser, server, 1, "after the leader tab closed", timeout=30)

        notice = f'[data-testid="failure-notice"][data-workflow-id="{failing}"]'
        for handle in (second_list, page):
            browser.driver.switch_to.window(handle)
            # Back online, the new leader's next attempt comes within its 3 s backoff.
            browser.until(lambda d: d.find_elements(By.CSS_SELECTOR, notice), 30, "the failure notice did not reach every tab")
            browser.screenshot("notice")
        browser.driver.switch_to.window(second_list)
        browser.until(lambda d: d.find_element(By.CSS_SELECTOR, row_selector(failing)).get_attribute("data-status") == "FAILED", 10,
                      "the list does not follow the failed workflow")
        later = start_timed_workflow(browser, {"jobs": 1, "steps": 1}, summary=unique("After the handover"))
        elapsed = row_delay(browser, later)
        assert elapsed <= 1.0, f"a new workflow appeared {elapsed:.3f} s after the API answered the handover, not within 1 s"
    finally:
        server.stop()


def test_a_hidden_page_whose_server_lost_its_tail_reads_the_log_again_when_shown(browser):
    """As test_console's crash test, but the workflow page is hidden (another tab selected)
    while its server goes down and comes back without the events it last delivered: shown
    again, the page's new streams must check the event at their last sequence, as after a
    dropped connection, and read the log again instead of resuming past the lost events."""
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="workflowd-browser-hidden-crash-")
    earlier = data_dir + "-earlier"
    arguments = ("--shutdown-grace-period", "0.2")
    servers = []
    try:
        servers.append(Server(*arguments, data_dir=data_dir, http_port=port))
        workflow_id = servers[-1].start_workflow({"jobs": 1, "steps": 300, "step_delay_ms": 60}, summary=unique("Hidden crash"))
        open_workflow(browser, servers[-1], workflow_id)
        page = browser.driver.current_window_handle
        browser.until(lambda d: len(browser.js(LOG_ROWS)) >= 10, 30, "no log lines at first")
        assert servers[-1].stop(remove_data=False) == 0
        shutil.copytree(data_dir, earlier)

        # The events the crash will lose: the page sees them, then is hidden.
        servers.append(Server(*arguments, data_dir=data_dir, http_port=port))
        seen = len(browser.js(LOG_ROWS))
        browser.until(lambda d: len(browser.js(LOG_ROWS)) >= seen + 20, 60, "the page did not follow the second server")
        browser.driver.switch_to.new_window("tab")
        # Hidden, the page holds only the global stream (it leads the global feed).
        wait_for_streams(browser, servers[-1], 1, "the hidden page still holds its own stream")
        lost = int(servers[-1].workflow(workflow_id)["as_of_sequence"])
        assert servers[-1].stop(remove_data=False) == 0

        # The server comes back without them, and its new events take their sequences (and
        # more) before the page is shown again.
        servers.append(Server(*arguments, data_dir=earlier, http_port=port))
        filler = servers[-1].start_workflow({"jobs": 1, "steps": 300, "step_delay_ms": 0}, summary=unique("Filler"))
        servers[-1].wait_for_status(filler, "COMPLETED")
        deadline = time.monotonic() + 30
        while int(servers[-1].workflow(workflow_id)["as_of_sequence"]) <= lost:
            assert time.monotonic() < deadline, "the third server did not pass the lost sequence"
            time.sleep(0.1)
        browser.driver.switch_to.window(page)
        assert browser.js("return document.visibilityState") == "visible"

        expect_the_log_of_the_server_that_lost_events(browser, servers[-1], workflow_id)
    finally:
        for server in servers:
            server.stop(remove_data=False)
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(earlier, ignore_errors=True)
