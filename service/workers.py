"""Worker processes for ``wabp serve --workers N``, each with its own listening socket.

uvicorn's own ``--workers`` binds one socket in the parent and hands it to every worker: they
share one accept queue, and a burst of new connections goes to whichever worker wakes first. A
few long-lived keep-alive clients (a reverse proxy's upstream pool, a load generator) then sit on
one worker while the others idle: with 16 ``wrk`` connections to two workers, all 16 were on one
worker in five runs out of six, and two workers answered no faster than one (``bench/core.py``).

Here each worker binds its own socket to the same address with ``SO_REUSEPORT`` (Linux), so
the kernel gives each worker its own accept queue and spreads new connections over them by
their addresses. The socket is made with protocol ``IPPROTO_TCP``, so that asyncio switches
Nagle's algorithm off on every accepted connection, as it does for uvicorn's single process.
Before the workers start, the parent checks that nothing listens on the address yet: a second
``wabp serve`` on the same port is refused, never silently joined.

The price: a worker that dies takes the connections waiting in its own queue with it (they are
reset; with one shared queue the others would take them), and those that reach its socket in the
moment before it closes. A crashed worker is rare; idle workers under keep-alive load were not.

The parent only supervises: it starts another worker when one dies (unless it failed to start the
app, which every worker would: then all stop, exit status 1), and on SIGINT or SIGTERM lets each
worker finish its open requests and stop. Elsewhere than Linux, ``wabp serve`` uses uvicorn's.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import threading
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE  # a worker that could not load or start the app

log = logging.getLogger("wabp")

STOP_SECONDS = 30.0  # how long a worker may take to finish its requests before it is killed


class PortInUseError(OSError):
    """Something listens on the address already (another ``wabp serve``, or another server)."""


def can_share_port() -> bool:
    """Tell whether each worker can have its own socket on one port (Linux ``SO_REUSEPORT``)."""
    return sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """Return a TCP socket listening on `host`:`port` in the port's SO_REUSEPORT group."""
    sock = _bound(host, port, share=True)
    sock.listen(backlog)
    return sock


def check_port_free(host: str, port: int) -> None:
    """Raise PortInUseError when `host`:`port` cannot be bound alone (something listens there)."""
    if port == 0:
        raise PortInUseError("several workers need a fixed port, not 0")
    try:
        _bound(host, port, share=False).close()  # bound, never listening: takes no connection
    except OSError as exc:
        raise PortInUseError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _bound(host: str, port: int, *, share: bool) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if share:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _work(app: str, host: str, port: int, options: dict[str, Any]) -> None:
    """One worker: load the app factory `app` and serve it on its own socket (a new process)."""
    config = uvicorn.Config(app, factory=True, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[listening_socket(host, port, config.backlog)])


def serve_workers(app: str, workers: int, host: str, port: int, **options: Any) -> int:
    """Serve the app factory `app` ("module:function") from `workers` processes; return the status.

    `options` go to each worker's ``uvicorn.Config`` (e.g. ``forwarded_allow_ips``). Returns when
    SIGINT or SIGTERM asks to stop (0), or when a worker could not start the app (1).
    """
    check_port_free(host, port)
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no state shared by fork
    stop = threading.Event()

    def start() -> BaseProcess:
        process = spawn.Process(target=_work, args=(app, host, port, options), name="wabp-worker")
        process.start()
        return process

    asked = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    processes = [start() for _ in range(workers)]
    status = 0
    try:
        while not stop.wait(0.5):
            for i, process in enumerate(processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    log.error("a worker could not start the app: stopping all workers")
                    status = 1
                    stop.set()
                    break
                log.warning(
                    "worker %s ended (exit status %s): starting another",
                    process.pid,
                    process.exitcode,
                )
                processes[i] = start()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the open requests, then stops
        for process in processes:
            process.join(STOP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in asked.items():
            signal.signal(sig, handler)
    return status
