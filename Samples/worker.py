#!/usr/bin/env python3
"""A worker that runs the "Process Data" job of REMOTE_IMPORT (Samples/remote-templates.conf).

    pip install Clients/python
    workflowd --templates Samples/remote-templates.conf &
    python Samples/worker.py --server 127.0.0.1:50051 &
    workflowctl start REMOTE_IMPORT --param file_path=Samples/assets.csv --follow --output text

It serves queue "import": reads the CSV named by the workflow's `file_path` parameter (tag,type,
name,… as in Samples/assets.csv), logs one step per row with the asset as its entity, reports
progress and counters, and stops early when the workflow is cancelled. `delay_ms` (a parameter)
slows each row down, to watch it live. SIGTERM or Ctrl-C stops it gracefully: running jobs get
the grace period, then go back to the server for another worker.
"""

import argparse
import os
import csv
import logging
import time

from workflow_worker import JobContext, JobFailed, Worker


def process_data(ctx: JobContext):
    """Imports the rows of `file_path`; returns the counters the job completes with."""
    path = ctx.params.get("file_path")
    if not path:
        raise JobFailed("no file_path parameter", code="VALIDATION", retryable=False)
    try:
        with open(path, newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
    except FileNotFoundError:
        raise JobFailed(f"{path} does not exist on this worker", code="VALIDATION", retryable=False)
    delay = int(ctx.params.get("delay_ms", "0")) / 1000

    ctx.start(f"Reading {len(rows)} rows of {path} (attempt {ctx.attempt})")
    for n, row in enumerate(rows, 1):
        if ctx.cancelled:  # the workflow was cancelled, or the worker is stopping
            ctx.log_step(f"Stopped after {n - 1} of {len(rows)} rows: {ctx.cancel_reason}", level="WARN")
            return None
        tag = (row.get("tag") or "").strip()
        if not tag:
            ctx.log_step(f"Skipped row {n}: no tag", level="WARN")
            ctx.increment("itemsFailed")
        else:
            # A real importer would upsert here, keyed by f"{ctx.idempotency_key}/{tag}", so that a
            # repeated attempt (after a crash or a lease that expired) creates nothing twice.
            kind = (row.get("type") or "asset").strip().lower()
            ctx.log_step(f"Created {tag}", entity_tag=tag, entity_route=f"/assets/{tag}", entity_id=tag,
                         entity_type=kind)
            ctx.increment("itemsCreated")
        ctx.update_progress(n / len(rows), f"Processing {n}/{len(rows)} items")
        if delay:
            time.sleep(delay)
    return {"itemsProcessed": len(rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="127.0.0.1:50051", help="workflowd's address (host:port)")
    parser.add_argument("--name", default="python-importer", help="the worker's name")
    parser.add_argument("--queue", default="import", help="the queue to serve")
    parser.add_argument("--slots", type=int, default=4, help="jobs run at once")
    parser.add_argument("--grace", type=float, default=30.0, help="seconds running jobs get when stopping")
    parser.add_argument("--verbose", action="store_true", help="log the worker's protocol at DEBUG")
    parser.add_argument("--token-env", default="WORKFLOW_TOKEN",
                        help="the environment variable holding the bearer token, for a server with --auth "
                             "(a role worker:<queue>); unset: no token")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG if arguments.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    worker = Worker(arguments.server, name=arguments.name, slots=arguments.slots, labels={"sample": "worker.py"},
                    grace_period=arguments.grace, token=os.environ.get(arguments.token_env) or None)
    worker.job(arguments.queue, process_data)
    settled = worker.run(handle_signals=True)
    raise SystemExit(0 if settled else 1)


if __name__ == "__main__":
    main()
