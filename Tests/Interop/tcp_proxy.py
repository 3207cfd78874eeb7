"""A TCP proxy on 127.0.0.1 for fault tests: forwards bytes both ways, and on request holds what
clients send (and releases it later, in order), or cuts every connection at once."""

import socket
import threading


class TCPProxy:
    """Listens on an ephemeral port and forwards each connection to `target_port` (read at each
    new connection, so a test can point the proxy at a restarted server)."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._holding = False
        self._held: list[tuple[socket.socket, bytes]] = []
        self._closed = False
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, destination: socket.socket, from_client: bool):
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            with self._lock:
                if from_client and self._holding:
                    self._held.append((destination, data))
                    continue
            try:
                destination.sendall(data)
            except OSError:
                break
        with self._lock:
            if self._holding:
                # While holding, a client that is gone leaves the upstream connection open (its
                # held bytes still reach the server on `release`), whichever side noticed.
                return
        for end in (source, destination):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def hold(self):
        """From now on, keeps what clients send instead of forwarding it."""
        with self._lock:
            self._holding = True

    @property
    def held_bytes(self) -> int:
        """How many bytes are held now."""
        with self._lock:
            return sum(len(data) for _, data in self._held)

    def release(self):
        """Forwards everything held, in order, and forwards again from now on."""
        with self._lock:
            self._holding = False
            held, self._held = self._held, []
        for destination, data in held:
            try:
                destination.sendall(data)
            except OSError:
                pass

    def cut(self):
        """Closes every open connection (both sides) at once; new ones are still accepted."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for end in pair:
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                end.close()

    def close(self):
        self._listener.close()
        self.cut()
