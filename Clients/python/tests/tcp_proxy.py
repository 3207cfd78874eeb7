"""A TCP proxy on 127.0.0.1 between workers and workflowd, for the faults a real network makes.

It forwards bytes both ways and records what each client connection sent (`grpc_wire` decodes
it). On request it holds what flows in one direction and releases it later, in order: held
worker-to-server bytes are hellos, reports and heartbeats the server has not read; held
server-to-worker bytes are welcomes, assignments and acknowledgements the worker has not read.
`cut` closes every connection at once, as a broken network does. While worker-to-server
bytes are held, a worker that dies leaves its server connection open, so `release` can still
deliver what it sent before dying: late reports, as a slow network delivers them.

(Tests/Interop uses this proxy too.)

Example::

    proxy = TCPProxy(server.port)
    worker = Worker(proxy.address, name="w")
    proxy.hold(to_client=True)      # acknowledgements stop reaching the worker
    proxy.cut()                     # ... and are lost with the connection
    proxy.release()                 # new connections flow both ways again
"""

from __future__ import annotations

import socket
import threading
from typing import List, Tuple


class _Connection:
    """One client connection, its upstream connection, and what the client sent."""

    def __init__(self, client: socket.socket, upstream: socket.socket):
        self.client = client
        self.upstream = upstream
        self.sent = bytearray()     # every byte the client sent, held or not
        self.open = True


class TCPProxy:
    """Listens on an ephemeral port of 127.0.0.1 and forwards each connection to `target_port`."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        # Guards everything below. Sockets are written outside it: a full one blocks.
        self._lock = threading.Lock()
        self._connections: List[_Connection] = []
        self._hold_to_server = False
        self._hold_to_client = False
        self._held: List[Tuple[socket.socket, bytes]] = []
        threading.Thread(target=self._accept, name="tcp-proxy-accept", daemon=True).start()

    @property
    def connections(self) -> int:
        """How many client connections were accepted so far."""
        with self._lock:
            return len(self._connections)

    def sent(self) -> List[bytes]:
        """What each client connection sent, oldest connection first."""
        with self._lock:
            return [bytes(connection.sent) for connection in self._connections]

    def hold(self, *, to_server: bool = False, to_client: bool = False) -> None:
        """From now on, keeps the bytes flowing in the given directions instead of forwarding them."""
        with self._lock:
            self._hold_to_server |= to_server
            self._hold_to_client |= to_client

    @property
    def held_bytes(self) -> int:
        """How many bytes are held now."""
        with self._lock:
            return sum(len(data) for _, data in self._held)

    def release(self) -> None:
        """Forwards everything held, in order, then forwards both ways again."""
        while True:
            with self._lock:
                held, self._held = self._held, []
                if not held:
                    # Only now: a pump that saw no hold while older bytes were still held would
                    # overtake them.
                    self._hold_to_server = self._hold_to_client = False
                    return
            for destination, data in held:
                try:
                    destination.sendall(data)
                except OSError:
                    pass  # that connection is gone

    def cut(self) -> None:
        """Closes every open connection (both sides) and drops what was held for them.

        New connections are still accepted (and held, while a hold is on).
        """
        with self._lock:
            connections = [connection for connection in self._connections if connection.open]
            for connection in connections:
                connection.open = False
            self._held = []
        for connection in connections:
            # Both ends shut down before either is closed (see `_pump`).
            for end in (connection.client, connection.upstream):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            for end in (connection.client, connection.upstream):
                end.close()

    def close(self) -> None:
        """Stops listening and cuts every connection."""
        self._listener.close()
        self.cut()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()  # the server is down: the client sees its connection closed
                continue
            connection = _Connection(client, upstream)
            with self._lock:
                self._connections.append(connection)
            for to_server in (True, False):
                threading.Thread(target=self._pump, args=(connection, to_server), name="tcp-proxy-pump",
                                 daemon=True).start()

    def _pump(self, connection: _Connection, to_server: bool) -> None:
        """Copies one direction of `connection` until either side closes it."""
        source, destination = ((connection.client, connection.upstream) if to_server
                               else (connection.upstream, connection.client))
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            with self._lock:
                if not connection.open:
                    break
                if to_server:
                    connection.sent += data
                if self._hold_to_server if to_server else self._hold_to_client:
                    self._held.append((destination, data))
                    continue
            try:
                destination.sendall(data)
            except OSError:
                break
        with self._lock:
            if self._hold_to_server and connection.open:
                # The worker went away while its bytes are held: keep the server side open, so
                # `release` delivers them late on the connection they were sent on.
                return
            first = connection.open
            connection.open = False
        for end in (source, destination):
            # Always shut down before closing: the shutdown sends the FIN and wakes the other
            # direction's pump (which then closes the sockets). A socket closed without it while
            # that pump is blocked in recv() on it stays open in the kernel (the blocked call
            # holds it), so the peer never learns the connection is gone; that happened when
            # `cut` woke this pump by shutting down the client end and this pump closed the
            # upstream end before `cut` shut it down.
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            if not first:
                end.close()
