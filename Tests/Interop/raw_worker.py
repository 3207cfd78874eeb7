"""A worker speaking workflow.v1.WorkerService with the stock grpcio stubs and nothing else: for
tests that check the protocol itself (statuses, fencing) rather than a worker library."""

import queue
import threading

import grpc

from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc

_END = object()


class RawWorker:
    """One Connect stream. `send` queues a WorkerMessage; `next` returns the next ServerMessage
    (or raises the stream's RpcError); `close` half-closes the stream. `metadata` goes with the
    call (e.g. an `authorization` value)."""

    def __init__(self, channel, timeout=30, metadata=()):
        self._outbox = queue.Queue()
        self._inbox = queue.Queue()
        self._call = workflow_pb2_grpc.WorkerServiceStub(channel).Connect(self._requests(), timeout=timeout,
                                                                             metadata=metadata)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _requests(self):
        while True:
            message = self._outbox.get()
            if message is _END:
                return
            yield message

    def _read(self):
        try:
            for message in self._call:
                self._inbox.put(message)
            self._inbox.put(None)
        except grpc.RpcError as error:
            self._inbox.put(error)

    def send(self, **fields):
        self._outbox.put(pb.WorkerMessage(**fields))

    def hello(self, name="raw", instance_id="raw-1", queues=("q",), slots=1, held_leases=()):
        self.send(hello=pb.WorkerHello(name=name, instance_id=instance_id, queues=list(queues), slots=slots,
                                       held_leases=list(held_leases)))
        welcome = self.next()
        assert welcome.WhichOneof("message") == "welcome", welcome
        return welcome.welcome

    def report(self, lease, sequence, steps=(), end=None, counters=None):
        updates = [pb.JobUpdate(step=pb.StepReport(message=message, level=pb.LOG_LEVEL_INFO)) for message in steps]
        report = pb.JobReport(lease=lease, sequence=sequence, updates=updates, counters=counters or {})
        if end == "completed":
            report.completed.SetInParent()
        elif end is not None:
            report.failed.CopyFrom(end)
        self.send(report=report)

    def next(self, timeout=20):
        """The next ServerMessage; None when the stream ended OK; raises its RpcError otherwise."""
        message = self._inbox.get(timeout=timeout)
        if isinstance(message, grpc.RpcError):
            raise message
        return message

    def next_of(self, kind, timeout=20):
        """The next message of `kind` (assignment, ack, refusal, cancellation), skipping others."""
        while True:
            message = self.next(timeout)
            assert message is not None, f"the stream ended while waiting for {kind}"
            if message.WhichOneof("message") == kind:
                return getattr(message, kind)

    def close(self):
        self._outbox.put(_END)

    def cancel(self):
        self._call.cancel()
