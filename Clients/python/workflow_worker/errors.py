"""Exceptions a job raises to end its attempt in a chosen way, and the one a worker raises
when the server refuses it."""

from __future__ import annotations

from typing import Optional

import grpc


class JobFailed(Exception):
    """Fails the running attempt with a message and an error code of the job's choosing.

    Raise it from a job function (or pass its fields to `JobContext.fail`). The server
    matches `code` against the job's `no_retry` codes; `retryable=False` forbids a retry
    whatever the policy says::

        if not row.get("tag"):
            raise JobFailed(f"row {n} has no tag", code="VALIDATION", retryable=False)

    Any other exception fails the attempt too, with its type and message as the error, no
    code (the server reads that as ERROR) and the policy's retries.

    Attributes:
        message: What went wrong, sent as the failure's `error`.
        code: The error code, e.g. "VALIDATION"; None for ERROR.
        retryable: False sends `do_not_retry`.
    """

    def __init__(self, message: str, *, code: Optional[str] = None, retryable: bool = True):
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable


class JobCancelled(Exception):
    """Raised by `JobContext.raise_if_cancelled` once the server cancelled the assignment.

    A job that lets it propagate (or returns while cancelled without calling `complete`) ends
    its attempt as failed with code CANCELLED; the server decides the job's state from its own
    reason for the cancellation (a cancelled workflow ends its job CANCELLED).
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class WorkerRefused(Exception):
    """The server refused the worker's first connection: its credentials, not the network.

    Raised by `Worker.run` and `Worker.wait_connected` when the Connect stream ended
    UNAUTHENTICATED (no token, a malformed, unknown, revoked or expired one) or
    PERMISSION_DENIED (the token's roles do not allow serving one of the worker's queues)
    before the server ever welcomed this worker. Reconnecting cannot fix that, so the worker
    stopped instead of retrying; fix the token or the queues and start it again.

    Attributes:
        code: `grpc.StatusCode.UNAUTHENTICATED` or `grpc.StatusCode.PERMISSION_DENIED`.
        details: The server's message, e.g. 'unknown or revoked token' or
            'queues: importer may not serve queue "export" (its roles: worker:import)'.
    """

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(f"the server refused the worker ({code.name}): {details}")
        self.code = code
        self.details = details
