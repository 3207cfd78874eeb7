"""Run WorkflowEngine remote jobs from Python.

A template declares a remote job by queue (`Process Data = remote queue=import`); a `Worker`
serves that queue over `workflow.v1.WorkerService` and runs each assignment with a
`JobContext`, the ActionLogger of the job::

    from workflow_worker import JobContext, JobFailed, Worker

    worker = Worker("127.0.0.1:50051", name="python-importer", slots=4)

    @worker.job("import")
    def process(ctx: JobContext):
        rows = int(ctx.inputs["rows_read"])          # an earlier job's output
        ctx.log_step("Created P-101", entity_tag="P-101", entity_route="/assets/1")
        ctx.update_progress(1.0, "Processed 1/1 items")
        ctx.set_output("rows_ready", rows)           # for the jobs after this one
        return {"itemsCreated": 1}

    worker.run()

`workflow_worker.files` uploads files for workflows to read and downloads the artifacts they
produce, for clients that are not workers. Against a server with `--auth`, give the worker a
`token` (a role `worker:<queue>` per queue) and pass `metadata=bearer(token)` to other calls.
See README.md for the guarantees (at-least-once attempts, exactly-once reports) and what a
worker does when the server refuses its token (`WorkerRefused`).
"""

from .auth import bearer
from .context import Lease, JobContext
from .errors import JobCancelled, JobFailed, WorkerRefused
from .levels import Level
from .outputs import JobInputs, JobOutputs, OutputLimitError
from .worker import DEFAULT_CHANNEL_OPTIONS, Worker, WorkerState

__all__ = [
    "DEFAULT_CHANNEL_OPTIONS",
    "JobCancelled",
    "JobContext",
    "JobFailed",
    "JobInputs",
    "JobOutputs",
    "Lease",
    "Level",
    "OutputLimitError",
    "Worker",
    "WorkerRefused",
    "WorkerState",
    "bearer",
]

__version__ = "0.1.0"
