"""Fixtures for the interop suite: Python stubs generated from Protos/ and a real workflowd."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import FileDescriptor, ServiceDescriptor

ROOT = Path(__file__).resolve().parents[2]
GENERATED = Path(__file__).resolve().parent / "generated"
# Debian's grpc-proto (Scripts/install-deps.sh --tests): the stock gRPC services' .proto files.
GRPC_PROTOS = Path("/usr/share/grpc-proto")


def _generate_stubs() -> None:
    """Generates workflow_pb2 / workflow_pb2_grpc into Tests/Interop/generated (git-ignored)."""
    GENERATED.mkdir(exist_ok=True)
    from grpc_tools import protoc

    code = protoc.main([
        "grpc_tools.protoc",
        f"-I{ROOT / 'Protos'}",
        f"--python_out={GENERATED}",
        f"--grpc_python_out={GENERATED}",
        str(ROOT / "Protos/workflow/v1/workflow.proto"),
    ])
    assert code == 0, "protoc failed to generate the Python stubs"
    sys.path.insert(0, str(GENERATED))


_generate_stubs()

from workflow.v1 import workflow_pb2, workflow_pb2_grpc  # noqa: E402

WORKFLOW_SERVICE = workflow_pb2.DESCRIPTOR.services_by_name["WorkflowService"]
WORKER_SERVICE = workflow_pb2.DESCRIPTOR.services_by_name["WorkerService"]


def method_path(service: ServiceDescriptor, method: str) -> str:
    """The HTTP/2 `:path` of one of `service`'s methods: `/<package.Service>/<Method>`.

    Both names come from the generated descriptors, so a misspelt method raises KeyError here
    instead of reaching the server as a call it answers with UNIMPLEMENTED.
    """
    return f"/{service.full_name}/{service.methods_by_name[method].name}"


def grpc_proto_file(path: str) -> FileDescriptor:
    """A file of Debian's grpc-proto as a descriptor, in a pool of its own: for the services no
    stock Python package ships stubs of (grpc.reflection.v1; grpcio-reflection has v1alpha only)."""
    from grpc_tools import protoc

    descriptor_set = GENERATED / (path.replace("/", "_") + ".desc")
    code = protoc.main(["grpc_tools.protoc", f"-I{GRPC_PROTOS}", "--include_imports",
                        f"--descriptor_set_out={descriptor_set}", path])
    assert code == 0, f"protoc failed to read {GRPC_PROTOS / path}: Scripts/install-deps.sh --tests installs grpc-proto"
    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes()).file:
        pool.AddSerializedFile(file.SerializeToString())
    return pool.FindFileByName(path)


def workflowd_binary() -> Path:
    path = Path(os.environ.get("WORKFLOWD", ROOT / ".build/debug/workflowd"))
    assert path.exists(), f"{path} does not exist: build it first (swift build) or set WORKFLOWD"
    return path


class Server:
    """A workflowd process on 127.0.0.1 and an ephemeral port.

    Each server gets a fresh temporary data directory (removed by `stop`) unless `data_dir` is
    given (kept: a test restarts on it) or the arguments choose a store. WORKFLOWD_STORE=memory
    in the environment runs every such server with the in-memory store instead. `env` adds to
    (or overrides) the test's environment for this server; `launcher` goes before the program
    (a dynamic loader, say).
    """

    def __init__(self, *extra_args: str, data_dir: str | None = None, env: dict[str, str] | None = None,
                 launcher: tuple[str, ...] = ()):
        self.owned_data_dir = None
        store_args: list[str] = []
        if data_dir is not None:
            store_args = ["--data-dir", data_dir]
        elif "--store" not in extra_args and "--data-dir" not in extra_args:
            if os.environ.get("WORKFLOWD_STORE") == "memory":
                store_args = ["--store", "memory"]
            else:
                self.owned_data_dir = tempfile.mkdtemp(prefix="workflowd-data-")
                store_args = ["--data-dir", self.owned_data_dir]
        self.data_dir = data_dir or self.owned_data_dir
        self.process = subprocess.Popen(
            [*launcher, str(workflowd_binary()), "--host", "127.0.0.1", "--port", "0", "--http-port", "0", *store_args, *extra_args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=None if env is None else {**os.environ, **env},
        )
        self.log: list[str] = []
        self.port = self._wait_for_port()
        self.address = f"127.0.0.1:{self.port}"
        # Keep draining the log: a full pipe would block the server's logging thread.
        self._drain = threading.Thread(target=self._read_log, daemon=True)
        self._drain.start()

    def _read_log(self):
        for line in self.process.stdout:
            self.log.append(line)

    def _wait_for_port(self) -> int:
        """Reads the log until workflowd reports its port (in a thread, so a silent hang times out)."""
        found: list[int] = []

        def read_until_port():
            for line in self.process.stdout:
                self.log.append(line)
                match = re.search(r"server\.port=(\d+)", line)
                if match:
                    found.append(int(match.group(1)))
                    return

        reader = threading.Thread(target=read_until_port, daemon=True)
        reader.start()
        reader.join(timeout=30)
        if not found:
            self.process.kill()
            raise RuntimeError("workflowd did not report its port within 30 s:\n" + "".join(self.log))
        return found[0]

    @property
    def http_port(self) -> int:
        """The HTTP side port, from the log (it is announced right after the gRPC port)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for line in list(self.log):
                match = re.search(r"server\.http_port=(\d+)", line)
                if match:
                    return int(match.group(1))
            time.sleep(0.01)
        raise RuntimeError("workflowd did not report its HTTP port within 30 s:\n" + "".join(self.log))

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def rss_kib(self) -> int:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self) -> str:
        """Sends SIGTERM, waits for exit, and returns the rest of the log."""
        self.process.terminate()
        self.process.wait(timeout=30)
        self._drain.join(timeout=10)
        self._remove_data_dir()
        return "".join(self.log)

    def kill(self) -> None:
        """SIGKILL: the process dies at once, as in a crash; the data directory stays."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._drain.join(timeout=10)

    def _remove_data_dir(self) -> None:
        if self.owned_data_dir is not None:
            shutil.rmtree(self.owned_data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def server():
    server = Server()
    yield server
    server.stop()
    assert server.process.returncode == 0, "workflowd did not exit cleanly on SIGTERM"


@pytest.fixture(scope="session")
def channel(server):
    with grpc.insecure_channel(server.address) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel


@pytest.fixture(scope="session")
def stub(channel):
    return workflow_pb2_grpc.WorkflowServiceStub(channel)


@pytest.fixture(scope="session")
def pb():
    return workflow_pb2
