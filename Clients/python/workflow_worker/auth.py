"""Bearer tokens: the `authorization` metadata a workflowd with `--auth tokens|jwt` asks for."""

from __future__ import annotations

import re
from typing import Callable, List, Tuple, Union

Token = Union[str, Callable[[], str]]
"""A bearer token, or a function returning the current one (called before each connection)."""

# What an HTTP/2 header value may carry (visible ASCII), less the space that ends the scheme.
_TOKEN = re.compile(r"[\x21-\x7e]+")


def bearer(token: str) -> List[Tuple[str, str]]:
    """The gRPC metadata that authenticates a call with `token`: pass it as `metadata=`.

    Example::

        stub = pb_grpc.WorkflowServiceStub(grpc.insecure_channel("127.0.0.1:50051"))
        uploaded = upload_file(stub, "assets.csv", metadata=bearer(os.environ["WORKFLOW_TOKEN"]))

    Add other metadata by concatenating lists: `bearer(token) + [("x-request-id", rid)]`.

    Args:
        token: The token itself, without the "Bearer " scheme: an opaque token whose SHA-256
            is listed in the server's `--auth-tokens` file, or a JWT.

    Returns:
        `[("authorization", "Bearer <token>")]`.

    Raises:
        ValueError: The token is empty, starts with "Bearer ", or holds a space or a character
            a header cannot carry (often a newline read from a file with it: strip it first).
        TypeError: The token is not a str.
    """
    if not isinstance(token, str):
        raise TypeError(f"a bearer token is a str, not {type(token).__name__}")
    if not _TOKEN.fullmatch(token):
        if not token:
            raise ValueError("the bearer token is empty")
        if token[:7].lower() == "bearer ":
            raise ValueError("pass the bearer token without its \"Bearer \" scheme")
        raise ValueError("the bearer token is not one word of visible ASCII characters (a newline or space?)")
    return [("authorization", f"Bearer {token}")]
