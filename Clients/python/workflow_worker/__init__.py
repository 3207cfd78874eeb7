"""Run WorkflowEngine remote jobs from Python.

A template declares a remote job by queue (`Process Data = remote queue=import`); a `Worker`
serves that queue over `workflow.v1.WorkerService` and runs each assignment with a
`JobContext`, the ActionLogger of the job::

    from workflow_worker import JobContext, JobFailed, Worker

    worker = Worker("127.0.0.1:50051", name="python-importer", slots=4)

    @worker.job("import")
    def process(ctx: JobContext):
        ctx.log_step("Created P-101", entity_tag="P-101", entity_route="/assets/1")
        ctx.update_progress(1.0, "Processed 1/1 items")
        return {"itemsCreated": 1}

    worker.run()

See README.md for the guarantees (at-least-once attempts, exactly-once reports).
"""

from .context import Lease, JobContext
from .errors import JobCancelled, JobFailed
from .levels import Level
from .worker import DEFAULT_CHANNEL_OPTIONS, Worker, WorkerState

__all__ = [
    "DEFAULT_CHANNEL_OPTIONS",
    "JobCancelled",
    "JobContext",
    "JobFailed",
    "Lease",
    "Level",
    "Worker",
    "WorkerState",
]

__version__ = "0.1.0"
