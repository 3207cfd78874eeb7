"""TLS on both ports: stock grpcio over server-only and mutual TLS, ALPN and the minimum version,
HTTPS on the side port, certificates reloaded on SIGHUP without dropping connections, bad
credentials and a plaintext host beyond loopback refused at start, hostile handshakes."""

import signal
import socket
import ssl
import subprocess
import time
import urllib.request
import warnings

import grpc
import pytest

from conftest import Server, workflowd_binary
from tls_pki import PKI
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc as pb_grpc


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return PKI(tmp_path_factory.mktemp("pki"))


def tls_arguments(pki: PKI, certificate=None, mutual=False) -> list[str]:
    certificate = certificate or pki.server
    arguments = ["--tls-cert", str(certificate[0]), "--tls-key", str(certificate[1])]
    if mutual:
        arguments += ["--tls-client-ca", str(pki.ca[0])]
    return arguments


def secure_channel(server: Server, pki: PKI, client=None) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=pki.ca[0].read_bytes(),
        private_key=client[1].read_bytes() if client else None,
        certificate_chain=client[0].read_bytes() if client else None,
    )
    return grpc.secure_channel(f"localhost:{server.port}", credentials)


def start_and_watch(channel: grpc.Channel) -> pb.Workflow:
    """Starts a small TEST workflow, watches it to its end and reads it back."""
    stub = pb_grpc.WorkflowServiceStub(channel)
    started = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"jobs": "2", "steps": "3", "step_delay_ms": "0"}),
                                 timeout=10)
    kinds = [event.kind for event in stub.WatchLogs(pb.WatchLogsRequest(workflow_id=started.workflow_id), timeout=10)]
    assert kinds[-1] == pb.LOG_EVENT_KIND_WORKFLOW_COMPLETED, kinds
    return stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id), timeout=10)


def handshake(port: int, pki: PKI, alpn=("h2",), maximum=None, client=None) -> ssl.SSLSocket:
    """A TLS connection made with Python's ssl module (OpenSSL), for what grpcio does not show."""
    context = ssl.create_default_context(cafile=str(pki.ca[0]))
    context.set_alpn_protocols(list(alpn))
    if maximum is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # offering TLS 1.1 is the point
            context.minimum_version = ssl.TLSVersion.TLSv1_1
            context.maximum_version = maximum
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    if client is not None:
        context.load_cert_chain(str(client[0]), str(client[1]))
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return context.wrap_socket(raw, server_hostname="localhost")


def peer_common_name(connection: ssl.SSLSocket) -> str:
    subject = dict(item for rdn in connection.getpeercert()["subject"] for item in rdn)
    return subject["commonName"]


def test_stock_grpcio_over_tls_starts_watches_and_reads(pki):
    server = Server(*tls_arguments(pki))
    try:
        assert any("server.tls=server" in line for line in server.log), "".join(server.log)
        server.http_port  # waits for the HTTP port's line
        assert any(f"server.console_url=https://127.0.0.1:{server.http_port}/" in line for line in server.log), "".join(server.log)
        with secure_channel(server, pki) as channel:
            workflow = start_and_watch(channel)
        assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED
        assert [len(job.steps) for job in workflow.jobs] == [3, 3]
    finally:
        server.stop()


def test_a_plaintext_client_gets_nothing_from_the_tls_port_and_others_are_still_served(pki):
    server = Server(*tls_arguments(pki))
    try:
        with grpc.insecure_channel(server.address) as plaintext:
            with pytest.raises(grpc.RpcError) as refused:
                pb_grpc.WorkflowServiceStub(plaintext).ListWorkflows(pb.ListWorkflowsRequest(), timeout=3)
            assert refused.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
        with secure_channel(server, pki) as channel:
            assert start_and_watch(channel).status == pb.WORKFLOW_STATUS_COMPLETED
    finally:
        server.stop()


def test_the_grpc_port_negotiates_h2_and_refuses_tls_1_1(pki):
    server = Server(*tls_arguments(pki))
    try:
        with handshake(server.port, pki, alpn=("h2", "http/1.1")) as connection:
            assert connection.selected_alpn_protocol() == "h2"
            assert connection.version() in ("TLSv1.2", "TLSv1.3")
            assert peer_common_name(connection) == "workflowd"
        with handshake(server.port, pki, maximum=ssl.TLSVersion.TLSv1_2) as connection:
            assert connection.version() == "TLSv1.2"
        # The server's own refusal (an alert), not the client's: the client offered TLS 1.1.
        with pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION"):
            handshake(server.port, pki, maximum=ssl.TLSVersion.TLSv1_1).close()
        with secure_channel(server, pki) as channel:
            assert start_and_watch(channel).status == pb.WORKFLOW_STATUS_COMPLETED
    finally:
        server.stop()


def test_mutual_tls_serves_clients_of_the_authority_and_refuses_the_rest(pki):
    server = Server(*tls_arguments(pki, mutual=True))
    try:
        assert any("server.tls=mutual" in line for line in server.log), "".join(server.log)
        with secure_channel(server, pki, client=pki.client) as channel:
            assert start_and_watch(channel).status == pb.WORKFLOW_STATUS_COMPLETED
        for client in (None, pki.rogue_client):
            with secure_channel(server, pki, client=client) as channel:
                with pytest.raises(grpc.RpcError) as refused:
                    pb_grpc.WorkflowServiceStub(channel).ListWorkflows(pb.ListWorkflowsRequest(), timeout=5)
                assert refused.value.code() == grpc.StatusCode.UNAVAILABLE, (client, refused.value)
        # The HTTP port asks for the same client certificates.
        with handshake(server.http_port, pki, alpn=("http/1.1",), client=pki.client) as connection:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            assert connection.recv(64).startswith(b"HTTP/1.1 200")
        with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
            with handshake(server.http_port, pki, alpn=("http/1.1",)) as connection:
                # TLS 1.3 reports the missing certificate on the first read.
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                if not connection.recv(64):
                    raise ConnectionResetError("closed")
    finally:
        server.stop()


def test_the_http_port_serves_https_and_its_api(pki):
    server = Server(*tls_arguments(pki))
    try:
        context = ssl.create_default_context(cafile=str(pki.ca[0]))
        url = f"https://localhost:{server.http_port}"
        with urllib.request.urlopen(f"{url}/healthz", context=context, timeout=10) as response:
            assert response.status == 200
        request = urllib.request.Request(f"{url}/api/v1/workflows", data=b'{"type": "TEST", "params": {"steps": "1", "step_delay_ms": "0"}}',
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            assert response.status == 200
            assert b"workflow_id" in response.read()
        with handshake(server.http_port, pki, alpn=("h2", "http/1.1")) as connection:
            assert connection.selected_alpn_protocol() == "http/1.1"
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/healthz", timeout=5).read()
    finally:
        server.stop()


def test_sighup_rereads_the_certificate_for_new_connections_and_keeps_open_ones(pki, tmp_path):
    certificate, key = tmp_path / "server.crt", tmp_path / "server.key"
    certificate.write_bytes(pki.server[0].read_bytes())
    key.write_bytes(pki.server[1].read_bytes())
    server = Server("--tls-cert", str(certificate), "--tls-key", str(key))
    try:
        with secure_channel(server, pki) as channel:
            stub = pb_grpc.WorkflowServiceStub(channel)
            started = stub.StartWorkflow(pb.StartWorkflowRequest(
                type="TEST", params={"jobs": "1", "steps": "20", "step_delay_ms": "250"}), timeout=10)
            watch = stub.WatchLogs(pb.WatchLogsRequest(workflow_id=started.workflow_id), timeout=60)
            first = next(watch)
            with handshake(server.port, pki) as before:
                assert peer_common_name(before) == "workflowd"

            certificate.write_bytes(pki.renewed_server[0].read_bytes())
            key.write_bytes(pki.renewed_server[1].read_bytes())
            server.process.send_signal(signal.SIGHUP)
            wait_for_log(server, "server.tls_reloaded")
            with handshake(server.port, pki) as after:
                assert peer_common_name(after) == "workflowd renewed"
            with handshake(server.http_port, pki, alpn=("http/1.1",)) as after:
                assert peer_common_name(after) == "workflowd renewed"
            running = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id), timeout=10)
            assert running.status == pb.WORKFLOW_STATUS_RUNNING, "the reload came too late to test an open stream"
            logged_before = len(running.jobs[0].steps)

            # The watch opened before the reload runs to the end on its connection.
            kinds = [first.kind] + [event.kind for event in watch]
            assert kinds[-1] == pb.LOG_EVENT_KIND_WORKFLOW_COMPLETED
            assert kinds.count(pb.LOG_EVENT_KIND_STEP_LOGGED) == 20 > logged_before

        # A key that does not match: logged, and the renewed credentials stay in use.
        key.write_bytes(pki.client[1].read_bytes())
        server.process.send_signal(signal.SIGHUP)
        wait_for_log(server, "server.tls_reload_failed")
        with handshake(server.port, pki) as still:
            assert peer_common_name(still) == "workflowd renewed"
    finally:
        server.stop()


def wait_for_log(server: Server, text: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(text in line for line in server.log):
            return
        time.sleep(0.02)
    raise AssertionError(f"no {text} in the log:\n" + "".join(server.log))


@pytest.mark.parametrize("problem", ["missing key", "key of another certificate", "not PEM"])
def test_unusable_credentials_stop_the_server_at_start_naming_the_file(pki, tmp_path, problem):
    certificate, key = pki.server
    if problem == "missing key":
        key = tmp_path / "absent.key"
    elif problem == "key of another certificate":
        key = pki.client[1]
    else:
        certificate = tmp_path / "garbage.crt"
        certificate.write_text("not a certificate\n")
    result = subprocess.run(
        [str(workflowd_binary()), "--port", "0", "--http-port", "0", "--store", "memory",
         "--tls-cert", str(certificate), "--tls-key", str(key)],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 78, result
    named = key if problem != "not PEM" else certificate
    assert str(named) in result.stderr, result.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "::ffff:10.0.0.1", "workflowd.example"])
def test_a_host_beyond_loopback_needs_tls_or_insecure(pki, host):
    result = subprocess.run([str(workflowd_binary()), "--host", host, "--port", "0", "--store", "memory"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 64, result
    assert "--insecure" in result.stderr and "--tls-cert" in result.stderr, result.stderr
    result = subprocess.run([str(workflowd_binary()), "--tls-client-ca", str(pki.ca[0]), "--store", "memory"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 64 and "--tls-client-ca needs --tls-cert" in result.stderr, result.stderr


@pytest.mark.parametrize("port", ["grpc", "http"])
def test_garbage_and_a_flood_of_unfinished_handshakes_leave_others_served(pki, port):
    # The idle timeout stays at its default (300 s): the handshake timeout must close them.
    server = Server(*tls_arguments(pki), "--tls-handshake-timeout", "2")
    port_number = server.port if port == "grpc" else server.http_port
    sockets: list[socket.socket] = []
    try:
        hello_start = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03])
        for index in range(300):
            connection = socket.create_connection(("127.0.0.1", port_number), timeout=10)
            # Half send bytes that are no TLS record, half the start of a ClientHello and then nothing.
            connection.sendall(b"GET / HTTP/1.1\r\n\r\n" if index % 2 else hello_start)
            sockets.append(connection)
        with secure_channel(server, pki) as channel:
            for _ in range(3):
                assert start_and_watch(channel).status == pb.WORKFLOW_STATUS_COMPLETED
        # The garbage was answered by closing; the unfinished handshakes end at the handshake timeout.
        deadline = time.monotonic() + 15
        open_ones = sockets
        while open_ones and time.monotonic() < deadline:
            still_open = []
            for connection in open_ones:
                connection.settimeout(0.01)
                try:
                    if connection.recv(4096):
                        still_open.append(connection)
                except socket.timeout:
                    still_open.append(connection)
                except OSError:
                    pass
            open_ones = still_open
            time.sleep(0.1)
        assert not open_ones, f"{len(open_ones)} of 300 hostile connections still open"
        with secure_channel(server, pki) as channel:
            assert start_and_watch(channel).status == pb.WORKFLOW_STATUS_COMPLETED
        context = ssl.create_default_context(cafile=str(pki.ca[0]))
        with urllib.request.urlopen(f"https://localhost:{server.http_port}/healthz", context=context, timeout=10) as response:
            assert response.status == 200
    finally:
        for connection in sockets:
            connection.close()
        server.stop()


def workflowctl(server: Server, *arguments: str, port: int | None = None,
                environment: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """workflowctl with `arguments` against `server`'s gRPC port (or `port`), with `environment`
    added to a clean one."""
    from test_workflowctl import clean_env, workflowctl_binary

    return subprocess.run([str(workflowctl_binary()), *arguments, "--address", f"localhost:{port or server.port}"],
                          capture_output=True, text=True, timeout=60, env={**clean_env(), **(environment or {})})


def test_workflowctl_speaks_tls_and_mutual_tls(pki):
    server = Server(*tls_arguments(pki, mutual=True))
    try:
        client = ["--tls-ca", str(pki.ca[0]), "--tls-cert", str(pki.client[0]), "--tls-key", str(pki.client[1])]
        started = workflowctl(server, "start", "TEST", "--param", "steps=2", "--param", "step_delay_ms=0", "--follow", *client)
        assert started.returncode == 0, started.stderr
        assert "COMPLETED" in started.stdout, started.stdout
        listed = workflowctl(server, "list", "--json", *client)
        assert listed.returncode == 0 and '"TEST"' in listed.stdout, listed
        # The same from the environment alone (each variable must reach the tool).
        from_environment = workflowctl(server, "list", "--json", environment={
            "WORKFLOWCTL_TLS_CA": str(pki.ca[0]), "WORKFLOWCTL_TLS_CERT": str(pki.client[0]),
            "WORKFLOWCTL_TLS_KEY": str(pki.client[1]),
        })
        assert from_environment.returncode == 0 and '"TEST"' in from_environment.stdout, from_environment

        # No client certificate, a server certificate from an unknown authority, plaintext:
        # the server cannot be reached (exit 4), and the reason says which.
        no_certificate = workflowctl(server, "list", "--tls-ca", str(pki.ca[0]))
        unknown_authority = workflowctl(server, "list", "--tls-ca", str(pki.rogue_ca[0]), "--tls-cert", str(pki.client[0]),
                                        "--tls-key", str(pki.client[1]))
        plaintext = workflowctl(server, "list", "--timeout", "3")
        for refused in (no_certificate, unknown_authority, plaintext):
            assert refused.returncode == 4, refused
        assert "certificate" in unknown_authority.stderr.lower(), unknown_authority.stderr

        # The HTTP port speaks TLS too, but not HTTP/2: the reason names the protocol.
        wrong_port = workflowctl(server, "list", *client, port=server.http_port)
        assert wrong_port.returncode == 4 and "did not choose h2" in wrong_port.stderr, wrong_port

        unreadable = workflowctl(server, "list", "--tls-ca", "/nonexistent/ca.crt")
        assert unreadable.returncode == 64 and "/nonexistent/ca.crt" in unreadable.stderr, unreadable
        half = workflowctl(server, "list", "--tls-cert", str(pki.client[0]))
        assert half.returncode == 64 and "--tls-cert and --tls-key go together" in half.stderr, half
    finally:
        server.stop()
