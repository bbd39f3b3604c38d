"""``wabp serve --workers N`` on Linux: each worker its own socket, the parent supervising.

Real processes on the tiny dataset (``tests.service.processes``): connections reach every worker,
a worker that dies is replaced while the others answer, SIGTERM stops them all, and a port
already in use is refused in one line.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from service.workers import can_share_port
from tests.service.processes import WABP, Served, serve, tiny_dataset
from tests.service.served import free_port

pytestmark = pytest.mark.skipif(not can_share_port(), reason="SO_REUSEPORT workers: Linux only")


def workers_of(parent: int) -> set[int]:
    """Return the pids of the worker processes `parent` started."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == parent and b"spawn_main" in cmdline:
            found.add(int(stat.parent.name))
    return found


def connections_per_worker(workers: set[int], port: int) -> dict[int, int]:
    """Count each worker's established TCP connections on `port` (/proc/net/tcp by socket inode)."""
    established = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":  # 01: ESTABLISHED
            established.add(fields[9])
    counts = {}
    for pid in workers:
        inodes = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        counts[pid] = len(inodes & established)
    return counts


def dead(pid: int) -> bool:
    """Tell whether `pid` has ended (gone, or a zombie its parent has not reaped yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def eventually(check: object, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(0.1)


@pytest.fixture
def served(tmp_path: Path) -> Served:
    root = tiny_dataset(tmp_path / "data")
    return serve(root, f"sqlite:///{tmp_path / 'wabp.sqlite'}", workers=2)


def test_keep_alive_connections_reach_every_worker(served: Served) -> None:
    try:
        eventually(lambda: len(workers_of(served.process.pid)) == 2)
        port = int(served.base.rsplit(":", 1)[1])
        # 32 clients that keep their connection, as a proxy's upstream pool does.
        clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(32)]
        for client in clients:
            client.request("GET", "/api/lookup?q=Motstraat+10")
            answer = client.getresponse()
            assert answer.status == 200
            answer.read()
        counts = connections_per_worker(workers_of(served.process.pid), port)
        assert sum(counts.values()) == 32, counts
        # The kernel spreads them by address: each worker holds some (all on one: odds 2^-31).
        assert all(n > 0 for n in counts.values()), counts
        for client in clients:
            client.close()
    finally:
        served.stop()


def test_a_worker_that_dies_is_replaced_and_sigterm_stops_all(served: Served) -> None:
    parent = served.process.pid
    try:
        eventually(lambda: len(workers_of(parent)) == 2)
        first = workers_of(parent)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        # Once it is dead (its socket closed: a connection that reached its queue before was
        # reset), the other worker answers meanwhile, and a new one takes the dead one's place.
        eventually(lambda: dead(victim))
        assert httpx.get(f"{served.base}/healthz", timeout=30).status_code == 200
        eventually(lambda: len(workers_of(parent)) == 2 and victim not in workers_of(parent))
        assert httpx.get(f"{served.base}/healthz", timeout=30).status_code == 200
        replaced = workers_of(parent)
        os.kill(parent, signal.SIGTERM)  # the parent alone: it stops its workers
        assert served.process.wait(timeout=60) == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in replaced)
    finally:
        served.stop()


def test_a_port_in_use_is_refused_in_one_line(tmp_path: Path) -> None:
    root = tiny_dataset(tmp_path / "data")
    port = free_port()
    with socket.create_server(("127.0.0.1", port)):
        done = subprocess.run(
            [str(WABP), "serve", "--workers", "2", "--port", str(port), "--data", str(root)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "WABP_DATABASE_URL": f"sqlite:///{tmp_path / 'wabp.sqlite'}"},
        )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
