"""A worker process for the interop suite, on the Python worker library (Clients/python).

    python worker_process.py --server HOST:PORT --instance ID [--workers N] [--slots S] [--queue Q]

Runs N Worker objects (instance ids ID-0 … ID-N-1) serving queue Q. What a job does comes from
the workflow's parameters:

- `remote_steps` (default 3): steps "Step i of n" (entity tag T-i), `remote_delay_ms` apart;
- `remote_fail`: fail with this message (not retried when `remote_fail_final` is set);
- `remote_fail_unless`: fail unless this file exists (a failure a retry of the workflow fixes);
- `remote_job_ms`: a plain sleep instead of steps (for the load test).

A job that sees more jobs running in its Worker than its slots fails with SLOT_EXCEEDED. Each job
start prints "started <job id> attempt <n> on <instance>" and each cancellation "cancelled <job id>"
to stdout, flushed, for the tests to follow.
"""

import argparse
import os
import signal
import sys
import threading
import time

from workflow_worker import JobContext, JobFailed, Worker


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Slots:
    """How many jobs run in one Worker now, to catch a server that assigns beyond the slots."""

    def __init__(self, limit: int):
        self.limit = limit
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()

    def __enter__(self):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            exceeded = self.running > self.limit
        if exceeded:
            self.__exit__()
            raise JobFailed(f"{self.running} jobs ran at once with {self.limit} slots", code="SLOT_EXCEEDED", retryable=False)

    def __exit__(self, *_):
        with self.lock:
            self.running -= 1


def make_job(instance: str, slots: Slots):
    def run(ctx: JobContext):
        with slots:
            say(f"started {ctx.job_id} attempt {ctx.attempt} on {instance}")
            params = ctx.params
            if "remote_fail" in params:
                raise JobFailed(params["remote_fail"], retryable="remote_fail_final" not in params)
            if "remote_fail_unless" in params and not os.path.exists(params["remote_fail_unless"]):
                raise RuntimeError(f"{params['remote_fail_unless']} is missing")
            if "remote_job_ms" in params:
                time.sleep(int(params["remote_job_ms"]) / 1000)
                return {"itemsProcessed": 1}
            steps = int(params.get("remote_steps", "3"))
            delay = int(params.get("remote_delay_ms", "0")) / 1000
            for i in range(1, steps + 1):
                if ctx.cancelled:
                    say(f"cancelled {ctx.job_id}")
                    ctx.log_step(f"Stopped after {i - 1} of {steps} steps: {ctx.cancel_reason}", level="WARN")
                    return None
                ctx.log_step(f"Step {i} of {steps}", entity_tag=f"T-{i}", entity_route=f"/things/{i}",
                             entity_id=str(i), entity_type="thing")
                ctx.update_progress(i / steps, f"{i}/{steps}")
                ctx.increment("itemsProcessed")
                if delay:
                    time.sleep(delay)
            return None
    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--slots", type=int, default=1)
    parser.add_argument("--queue", default="q")
    parser.add_argument("--grace", type=float, default=5.0)
    arguments = parser.parse_args()
    workers = []
    for n in range(arguments.workers):
        instance = f"{arguments.instance}-{n}"
        worker = Worker(arguments.server, name="interop-worker", slots=arguments.slots, instance_id=instance,
                        grace_period=arguments.grace, reconnect_max=0.5)
        worker.job(arguments.queue, make_job(instance, Slots(arguments.slots)))
        workers.append(worker)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.wait_connected(timeout=30)
    say("ready")
    stop.wait()
    settled = all([worker.stop() for worker in workers])
    say(f"stopped settled={settled}")


if __name__ == "__main__":
    main()
