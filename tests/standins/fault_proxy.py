"""A loopback port in front of a real stand-in that fails the way a dependency does, on demand.

Modes: `pass` forwards bytes (TCP) or datagrams (UDP) to the stand-in; `down` closes the port
(TCP: connection refused; UDP: port unreachable); `hang` accepts or receives and never answers;
`garbage` answers bytes of no protocol at all, then (TCP) closes. The port stays the same across
modes, so a worker configured once sees each fault at the address it always uses.

    with TcpFaultProxy(("127.0.0.1", relay.port)) as proxy:
        proxy.mode = "hang"
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from typing import Literal, Self

Mode = Literal["pass", "down", "hang", "garbage"]
GARBAGE = b"\x16\x03\x01\x00\xffNOT-A-PROTOCOL \x00\x01\x02\r\n" * 4
_POLL = 0.05


class _FaultProxy:
    kind = socket.SOCK_STREAM

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._mode: Mode = "pass"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._held: list[socket.socket] = []
        self._listener: socket.socket | None = self._bind(0)
        self.port: int = self._listener.getsockname()[1]

    def _bind(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, self.kind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        if self.kind == socket.SOCK_STREAM:
            sock.listen(64)
        sock.settimeout(_POLL)
        return sock

    @property
    def mode(self) -> Mode:
        return self._mode

    @mode.setter
    def mode(self, mode: Mode) -> None:
        with self._lock:
            self._mode = mode
            held, self._held = self._held, []
            if mode == "down" and self._listener is not None:
                self._listener.close()
                self._listener = None
            elif mode != "down" and self._listener is None:
                self._listener = self._bind(self.port)
        for conn in held:  # a mode applies to new connections; old ones end with the old mode
            conn.close()

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _hold(self, conn: socket.socket) -> None:
        with self._lock:
            self._held.append(conn)

    def __enter__(self) -> Self:
        self._spawn(self._serve)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        with self._lock:
            for conn in self._held:
                conn.close()
            if self._listener is not None:
                self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                listener, mode = self._listener, self._mode
            if listener is None:
                self._stop.wait(_POLL)
                continue
            with contextlib.suppress(OSError):  # a timeout, or the listener closed for `down`
                self._receive(listener, mode)

    def _receive(self, listener: socket.socket, mode: Mode) -> None:
        raise NotImplementedError


class TcpFaultProxy(_FaultProxy):
    def _receive(self, listener: socket.socket, mode: Mode) -> None:
        conn, _ = listener.accept()
        self._hold(conn)
        if mode == "garbage":
            with contextlib.suppress(OSError):
                conn.sendall(GARBAGE)
            conn.close()
        elif mode == "pass":
            self._spawn(self._pump, conn)
        # hang: held open, silent, until the mode changes or the proxy stops

    def _pump(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        self._hold(upstream)
        pair = {client: upstream, upstream: client}
        with contextlib.suppress(OSError, ValueError):
            while not self._stop.is_set():
                readable, _, _ = select.select(list(pair), [], [], _POLL)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
        client.close()
        upstream.close()


class UdpFaultProxy(_FaultProxy):
    kind = socket.SOCK_DGRAM

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _receive(self, listener: socket.socket, mode: Mode) -> None:
        datagram, client = listener.recvfrom(65536)
        if mode == "garbage":
            listener.sendto(GARBAGE, client)
        elif mode == "pass":
            self._spawn(self._forward, listener, datagram, client)

    def _forward(self, listener: socket.socket, datagram: bytes, client: tuple[str, int]) -> None:
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as upstream:
            upstream.settimeout(5)
            upstream.sendto(datagram, self.target)
            listener.sendto(upstream.recv(65536), client)
