"""Fixtures of the map tests: the Alken data and a site published once.

The browser (``tests/conftest.py``) is Debian's Chromium driven by Playwright (never a downloaded
browser); when it is missing, the tests that need it are skipped with the reason. The published
site is served from disk (``file://``) and by a local ``http.server`` on 127.0.0.1.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from maps.pdf import CHROMIUM
from maps.site import PublishOptions, PublishReport, publish_site
from tests.conftest import DATA
from zones.dataset import Dataset

LOOKUP_URL = "https://wabp.example.be/api/lookup"
JOIN_URL = "https://wabp.example.be/aanmelden"
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"needs Debian chromium at {CHROMIUM} (apt-get install -y chromium)",
)


@pytest.fixture(scope="session")
def alken_data(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """Return the shipped Alken dataset, loaded from a copy (its cache stays out of the repository)."""
    root = tmp_path_factory.mktemp("alken")
    shutil.copytree(DATA, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".cache"))
    return Dataset.load(root)


@pytest.fixture(scope="session")
def site(alken_data: Dataset, tmp_path_factory: pytest.TempPathFactory) -> PublishReport:
    """Return the report of Alken's site, published once with the service's lookup offered."""
    out = tmp_path_factory.mktemp("site")
    return publish_site(alken_data, out, PublishOptions(lookup_url=LOOKUP_URL, join_url=JOIN_URL))


@pytest.fixture(scope="session")
def site_url(site: PublishReport) -> Iterator[str]:
    """Serve the published site over HTTP on 127.0.0.1 and return its base URL."""
    handler = partial(_QuietHandler, directory=str(site.out_dir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _QuietHandler(SimpleHTTPRequestHandler):
    """A static file handler that does not write every request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        return
