"""WatchLogs clients for the survival tests: a watcher that resumes after the last sequence it
received (across restarts of workflowd, or after a watch that ended early), and a helper that
follows one workflow to its terminal event.

A watch of one workflow must end OK only after the workflow's terminal event (workflowd once
ended it a few events early, about one watch in a thousand; test_watch_ends.py checks that under
load). A watcher whose watch ends early stops and records where (`premature_ends`), and
`join()` and `follow_to_end` fail on it.
"""

import threading

import grpc

from workflow.v1 import workflow_pb2 as pb

TERMINAL = {pb.LOG_EVENT_KIND_WORKFLOW_COMPLETED, pb.LOG_EVENT_KIND_WORKFLOW_FAILED, pb.LOG_EVENT_KIND_WORKFLOW_CANCELLED}


def brief(event):
    """(sequence, kind, job_id, attempt) of an event."""
    return event.sequence, pb.LogEventKind.Name(event.kind).removeprefix("LOG_EVENT_KIND_"), event.job_id, event.attempt


class Watcher:
    """One WatchLogs client that survives restarts: each `follow` reads in a thread of its own,
    with a new call after the last sequence received; the events of each call are kept apart
    (`segments`), and the status codes of calls that failed in `codes`.

    A watch of one workflow is `ended` once it received the terminal event and the call ended
    OK; a call that ends OK before it is resumed at once (and recorded in `premature_ends`).
    """

    def __init__(self, workflow_id: str = ""):
        self.workflow_id = workflow_id
        self.segments: list[list] = []
        self.codes: list[grpc.StatusCode] = []
        self.premature_ends: list[tuple] = []
        self.ended = False
        self._call = None
        self._thread = None
        self._cancelled = False

    @property
    def events(self):
        return [event for segment in self.segments for event in segment]

    @property
    def last_sequence(self) -> int:
        return max((event.sequence for event in self.events), default=0)

    def follow(self, stub, timeout: float = 120):
        assert not self.ended and (self._thread is None or not self._thread.is_alive())
        self._thread = threading.Thread(target=self._read, args=(stub, timeout), daemon=True)
        self._thread.start()

    def _read(self, stub, timeout):
        while not self._cancelled:
            segment: list = []
            self.segments.append(segment)
            call = stub.WatchLogs(
                pb.WatchLogsRequest(workflow_id=self.workflow_id, after_sequence=self.last_sequence), timeout=timeout
            )
            self._call = call
            try:
                for event in call:
                    segment.append(event)
            except grpc.RpcError as error:
                self.codes.append(error.code())
                return
            events = self.events
            if events and events[-1].kind in TERMINAL:
                self.ended = True
                return
            self.premature_ends.append(brief(events[-1]) if events else None)
            return

    def join(self, timeout: float = 10):
        self._thread.join(timeout=timeout)
        assert not self._thread.is_alive(), f"the watch of {self.workflow_id or 'everything'} did not end"
        assert not self.premature_ends, f"the watch of {self.workflow_id} ended OK before the terminal event, after {self.premature_ends}"

    def cancel(self):
        self._cancelled = True
        if self._call is not None:
            self._call.cancel()
        self.join()


def replay_everything(stub, through: int):
    """Every event of every workflow from sequence 1 through `through`."""
    events = []
    call = stub.WatchLogs(pb.WatchLogsRequest(after_sequence=0), timeout=60)
    for event in call:
        events.append(event)
        if event.sequence >= through:
            call.cancel()
            break
    return events


def follow_to_end(stub, workflow_id: str, timeout: float = 30):
    """Every event of one workflow, through its terminal event."""
    watcher = Watcher(workflow_id)
    watcher.follow(stub, timeout=timeout)
    watcher.join(timeout=timeout + 5)
    assert watcher.ended, f"the watch of {workflow_id} failed: {watcher.codes}"
    return watcher.events
