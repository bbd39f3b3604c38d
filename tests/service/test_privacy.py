"""Residents' addresses never reach a log line; bodies over the size limit are refused."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.privacy import DropPrivateQueryStrings
from tests.conftest import DATA, REPO
from tests.service.apps import app_settings

MAX_BODY = 4096


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


# --- body size -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_bodies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("db") / "wabp.sqlite"
    with TestClient(
        create_app(app_settings(DATA, f"sqlite:///{db}", max_body_bytes=MAX_BODY))
    ) as c:
        yield c


def _chunks(total: int) -> Iterator[bytes]:
    """A body without Content-Length: the client sends it chunked, so only counting can stop it."""
    for _ in range(total // 1000):
        yield b"x" * 1000


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        pytest.param("/api/registrations", "application/json", id="json"),
        pytest.param("/aanmelden", "application/x-www-form-urlencoded", id="form"),
    ],
)
def test_chunked_body_over_the_limit_is_413(
    small_bodies: TestClient, path: str, content_type: str
) -> None:
    response = small_bodies.post(
        path, content=_chunks(3 * MAX_BODY), headers={"content-type": content_type}
    )
    assert response.status_code == 413, response.text
    assert response.json() == {
        "code": "body_too_large",
        "detail": f"request body larger than {MAX_BODY} bytes",
    }


def test_declared_length_over_the_limit_is_413_alike(small_bodies: TestClient) -> None:
    response = small_bodies.post(
        "/api/registrations", content=b"x" * (MAX_BODY + 1), headers={"content-type": "text/plain"}
    )
    assert response.status_code == 413
    assert response.json() == {
        "code": "body_too_large",
        "detail": f"request body larger than {MAX_BODY} bytes",
    }


# --- unexpected errors ---------------------------------------------------------------------------


def test_unexpected_error_is_logged_by_kind_and_place_without_its_message(
    small_bodies: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from zones.lookup import Locator

    mailbox = "resident@" + "example.org"  # not on the source lines the frames show

    def broken(self: Locator, q: str) -> None:
        try:
            raise KeyError(q, mailbox)  # what a library's message may quote
        except KeyError as exc:
            raise RuntimeError(q) from exc

    monkeypatch.setattr(Locator, "lookup", broken)
    client = TestClient(small_bodies.app, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="wabp"):
        response = client.get("/api/lookup", params={"q": "Heiligenbornstraat 12, 3570 Alken"})
    assert response.status_code == 500
    assert "Heiligenbornstraat" not in response.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "unexpected error on GET /api/lookup: RuntimeError <- KeyError" in logged
    assert "in broken" in logged and "raise RuntimeError" in logged  # where, to act on it
    assert "Heiligenbornstraat" not in logged and "example.org" not in logged
    assert all(r.exc_info is None for r in caplog.records)  # no handler prints the messages later


def test_log_failure_outside_a_handler_logs_the_message_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from service.privacy import log_failure

    with caplog.at_level(logging.ERROR, logger="wabp"):
        log_failure(logging.getLogger("wabp"), "round %d failed", 3)
    assert [r.getMessage() for r in caplog.records] == ["round 3 failed"]
