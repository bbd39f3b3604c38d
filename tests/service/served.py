"""A real server for concurrency tests: uvicorn on 127.0.0.1 in a thread of the test process.

TestClient calls the app one request at a time through a portal; only a served app meets the
thread pool, the connection pool and the database locks the way production does.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on a free port until the block ends; yield its base URL.

    uvicorn trusts ``X-Forwarded-For`` from 127.0.0.1 (its default ``forwarded_allow_ips``), so
    a test client can speak for many client addresses, as a reverse proxy does.
    """
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", backlog=2048, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the served app did not start")
        time.sleep(0.05)
    base_url = f"http://127.0.0.1:{port}"
    # FastAPI builds each route's dependencies at its first match, on the routers the module
    # defines once: two apps served in two threads of one process (a test's "two instances")
    # would build the same route at once. One request that matches no route builds them all first.
    httpx.get(f"{base_url}/.well-known/wabp-warm-up", timeout=60)
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
