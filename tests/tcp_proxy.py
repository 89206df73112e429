"""A TCP proxy that can freeze: the "graph store stops answering" fault, for the frozen-link
test (tests/graph/test_graph_frozen_link.py) and bench/graph_outage.py."""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Callable
from typing import Any

POLL = 0.05


class FreezableProxy:
    """A TCP proxy on 127.0.0.1:<free port> to `upstream`.

    `freeze()` stops forwarding bytes in both directions while it keeps accepting connections
    and keeps every socket open; `thaw()` forwards again (what was held back flows on).
    `holding` is set once a client's bytes are being held back by a freeze: a request is then
    in flight on the frozen link. `close()` stops every thread and closes every socket.
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.holding = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._gate = threading.Lock()  # held while a chunk is forwarded: freeze() is exact
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._spawn(self._accept_loop)

    def freeze(self) -> None:
        with self._gate:
            self.holding.clear()
            self._flowing.clear()

    def thaw(self) -> None:
        with self._gate:
            self._flowing.set()

    def close(self) -> None:
        self._closed.set()
        self._flowing.set()
        for thread in list(self._threads):
            thread.join(timeout=10)
        self._listener.close()
        with self._gate:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="frozen-proxy")
        with self._gate:
            self._threads.append(thread)
        thread.start()

    def _keep(self, sock: socket.socket) -> None:
        with self._gate:
            self._sockets.append(sock)

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            ready, _, _ = select.select([self._listener], [], [], POLL)
            if not ready:
                continue
            client, _ = self._listener.accept()
            self._keep(client)
            try:  # reaching the server is not forwarding: a frozen link still accepts
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.shutdown(socket.SHUT_RDWR)
                continue
            self._keep(server)
            self._spawn(self._pump, client, server, True)
            self._spawn(self._pump, server, client, False)

    def _pump(self, src: socket.socket, dst: socket.socket, from_client: bool) -> None:
        while not self._closed.is_set():
            try:
                ready, _, _ = select.select([src], [], [], POLL)
            except (OSError, ValueError):
                return
            if not ready:
                continue
            with self._gate:
                if not self._flowing.is_set():
                    if from_client:
                        self.holding.set()
                    held = True
                else:
                    held = False
                    try:
                        data = src.recv(65536)
                        if data:
                            dst.sendall(data)
                        else:
                            dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        data = b""
                    if not data:
                        return
            if held:
                self._flowing.wait(POLL)  # the bytes stay in src's buffer until thaw()
