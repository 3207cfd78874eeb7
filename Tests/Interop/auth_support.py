"""Credentials for the authentication tests: static token files (`--auth tokens`), JWT signing
keys and tokens (`--auth jwt`, minted with PyJWT and cryptography), grpcio calls that carry
an `authorization` value, and requests to the HTTP side port that carry one (or a cookie)."""

import base64
import hashlib
import hmac
import http.client
import json
import secrets
import ssl
import time
from pathlib import Path
from typing import NamedTuple

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from conftest import WORKER_SERVICE, Server
from tls_pki import PKI
from workflow.v1 import workflow_pb2_grpc as pb_grpc

AUDIENCE = "workflowd"


# --- static tokens ---------------------------------------------------------------------------

def token_line(token: str, subject: str, roles: str) -> str:
    """A line of an `--auth-tokens` file: the token's SHA-256, its subject and its roles."""
    return f"{hashlib.sha256(token.encode()).hexdigest()} {subject} {roles}\n"


class TokenFile:
    """An `--auth-tokens` file of fresh random tokens, one per subject, rewritten on demand."""

    def __init__(self, path: Path, roles_by_subject: dict[str, str]):
        self.path = path
        self.roles = dict(roles_by_subject)
        self.tokens = {subject: f"tok-{subject}-{secrets.token_urlsafe(24)}" for subject in roles_by_subject}
        self.write()

    def add(self, subject: str, roles: str) -> str:
        self.roles[subject] = roles
        self.tokens[subject] = f"tok-{subject}-{secrets.token_urlsafe(24)}"
        self.write()
        return self.tokens[subject]

    def remove(self, subject: str) -> None:
        del self.roles[subject]
        self.write()

    def write(self) -> None:
        lines = ["# sha256(token)  subject  roles\n", "\n"]
        lines += [token_line(self.tokens[subject], subject, roles) for subject, roles in self.roles.items()]
        self.path.write_text("".join(lines))


# --- JWTs ------------------------------------------------------------------------------------

def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(subject: str | None = "someone", roles=("user",), audience=AUDIENCE, lifetime: float | None = 600,
           not_before: float | None = None, **extra) -> dict:
    """JWT claims: `exp` `lifetime` seconds from now (None: no exp), `nbf` `not_before` seconds from
    now (None: none), `aud` as given (None: none), `sub` unless None, `roles` unless None."""
    now = time.time()
    payload = dict(extra)
    if subject is not None:
        payload["sub"] = subject
    if roles is not None:
        payload["roles"] = list(roles)
    if audience is not None:
        payload["aud"] = audience
    if lifetime is not None:
        payload["exp"] = int(now + lifetime)
    if not_before is not None:
        payload["nbf"] = int(now + not_before)
    return payload


class SigningKeys:
    """One HS256 secret, one P-256 key (ES256) and one RSA key (RS256), with the files a server
    reads: the secret file and a PEM file of the public keys."""

    def __init__(self):
        self.secret = secrets.token_hex(32)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def sign(self, payload: dict, algorithm: str) -> str:
        key = {"HS256": self.secret, "ES256": self.ec, "RS256": self.rsa}[algorithm]
        return jwt.encode(payload, key, algorithm=algorithm)

    def write_secret(self, path: Path) -> Path:
        path.write_text(self.secret + "\n")
        return path


def public_pem(private_key) -> bytes:
    return private_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def write_public_keys(path: Path, *private_keys) -> Path:
    """A `--jwt-public-keys` file holding the public halves of `private_keys`."""
    path.write_bytes(b"".join(public_pem(key) for key in private_keys))
    return path


def unsigned_token(payload: dict) -> str:
    """A token with `alg: none` and an empty signature."""
    header = _base64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_base64url(json.dumps(payload).encode())}."


def hmac_token(payload: dict, secret: bytes, algorithm: str = "HS256") -> str:
    """A token signed with HMAC and any bytes as the secret (PyJWT refuses a PEM key as an HMAC
    secret, which is the point of the key confusion attack this makes)."""
    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}[algorithm]
    signing_input = f"{_base64url(json.dumps({'alg': algorithm, 'typ': 'JWT'}).encode())}." \
                    f"{_base64url(json.dumps(payload).encode())}"
    signature = hmac.new(secret, signing_input.encode(), digest).digest()
    return f"{signing_input}.{_base64url(signature)}"


# --- certificates ----------------------------------------------------------------------------

class AuthPKI(PKI):
    """tls_pki's certificates plus a second client of the same authority, `svc-billing`, which
    no `--certificate-roles` file of these tests lists."""

    def __init__(self, directory: Path):
        super().__init__(directory)
        self.unlisted_client = self._leaf("unlisted-client", "svc-billing", self.ca, server=False)


# --- calls -----------------------------------------------------------------------------------

def bearer(token: str) -> str:
    return f"Bearer {token}"


class Client:
    """The WorkflowService and WorkerService stubs of a channel, each call sent with one
    `authorization` value (none for None) and a 10 s deadline unless given:
    `Client(channel, bearer(token)).GetWorkflow(request)`."""

    def __init__(self, channel: grpc.Channel, authorization: str | None):
        self.channel = channel
        self.metadata = (("authorization", authorization),) if authorization is not None else ()
        self._workflows = pb_grpc.WorkflowServiceStub(channel)
        self._workers = pb_grpc.WorkerServiceStub(channel)

    def __getattr__(self, method: str):
        stub = self._workers if method in WORKER_SERVICE.methods_by_name else self._workflows
        rpc = getattr(stub, method)

        def call(request, timeout: float = 10, **options):
            return rpc(request, metadata=self.metadata, timeout=timeout, **options)

        return call


def rpc_error(call, *arguments, **options) -> grpc.RpcError:
    """The error `call` ends with; a streaming answer is read to its end first. Fails the test
    when the call succeeds."""
    with pytest.raises(grpc.RpcError) as raised:
        answer = call(*arguments, **options)
        if isinstance(answer, grpc.Call) and hasattr(answer, "__iter__"):
            answered = list(answer)
            pytest.fail(f"the call succeeded with {len(answered)} messages")
        pytest.fail(f"the call succeeded: {answer}")
    return raised.value


def status(error: grpc.RpcError) -> tuple[grpc.StatusCode, str]:
    return error.code(), error.details()


# --- the HTTP side port ----------------------------------------------------------------------

class Answer(NamedTuple):
    """An HTTP answer: its status, its body (JSON parsed; text that is not JSON as a string; None
    when empty), every header in order (Set-Cookie comes more than once) and the body's bytes."""

    status: int
    body: object
    headers: list[tuple[str, str]]
    data: bytes

    def values(self, name: str) -> list[str]:
        return [value for header, value in self.headers if header.lower() == name.lower()]


class HTTPPort:
    """The HTTP side port of `server`: plain HTTP, or HTTPS trusting the authority `ca` (a PEM
    file) when given. `send` makes one request on a connection of its own."""

    def __init__(self, server: Server, ca: Path | None = None):
        self.port = server.http_port
        self._context = ssl.create_default_context(cafile=str(ca)) if ca is not None else None
        # The server's own origin as these requests address it (`Host: 127.0.0.1:<port>`).
        self.origin = f"{'https' if ca is not None else 'http'}://127.0.0.1:{self.port}"

    def send(self, method: str, path: str, body=None, token: str | None = None, headers: dict | None = None) -> Answer:
        """`body`: a dict (sent as JSON), bytes or None; `token`: sent as `Authorization: Bearer`."""
        if self._context is not None:
            connection = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=self._context)
        else:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        payload = json.dumps(body).encode() if isinstance(body, dict) else body
        sent = {"Content-Type": "application/json", **({"Authorization": bearer(token)} if token else {}), **(headers or {})}
        try:
            connection.request(method, path, body=payload, headers=sent)
            response = connection.getresponse()
            data = response.read()
            try:
                parsed = json.loads(data) if data else None
            except ValueError:
                parsed = data.decode(errors="replace")
            return Answer(response.status, parsed, response.getheaders(), data)
        finally:
            connection.close()

    def log_in(self, token: str) -> dict[str, str]:
        """POST /api/v1/session with `token`: the cookies it sets, by name (fails unless 200)."""
        answer = self.send("POST", "/api/v1/session", {"token": token})
        assert answer.status == 200, answer
        return set_cookies(answer)


def set_cookies(answer: Answer) -> dict[str, str]:
    """The cookies an answer sets: name -> value (the attributes left out)."""
    pairs = (header.split(";", 1)[0].split("=", 1) for header in answer.values("Set-Cookie"))
    return {name: value for name, value in pairs}


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    """The `Cookie` header a browser sends back with `cookies`."""
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}
