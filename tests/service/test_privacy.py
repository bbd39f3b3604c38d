"""Residents' addresses never reach a log line."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from service.privacy import DropPrivateQueryStrings
from tests.conftest import DATA, REPO


def _record(path: str) -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200),
        None,
    )


def test_filter_drops_the_query_of_lookup() -> None:
    record = _record("/api/lookup?q=Heiligenbornstraat%2012")
    assert DropPrivateQueryStrings().filter(record)
    assert "Heiligenbornstraat" not in record.getMessage()
    assert "/api/lookup" in record.getMessage()


def test_filter_keeps_other_query_strings() -> None:
    record = _record("/api/zones?generation=2")
    DropPrivateQueryStrings().filter(record)
    assert "generation=2" in record.getMessage()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_real_server_access_log_holds_no_address(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "server.log"
    wabp = Path(sys.executable).parent / "wabp"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(wabp), "serve", "--port", str(port), "--data", str(DATA)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                    break
                except OSError:
                    assert time.monotonic() < deadline, log.read_text()
                    assert proc.poll() is None, log.read_text()
                    time.sleep(0.2)
            urllib.request.urlopen(
                f"{base}/api/lookup?q=Heiligenbornstraat%2012%2C%203570%20Alken"
            ).read()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    text = log.read_text()
    assert "GET /api/lookup " in text  # the request was logged...
    assert "Heiligenbornstraat" not in text  # ...without the address
