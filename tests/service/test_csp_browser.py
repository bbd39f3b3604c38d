"""The nonce policy in Debian Chromium: the map pages still work, and nothing is refused.

The comparison map (a shell that writes the fetched map into itself) is driven in
``tests/maps/test_proposal_pages_browser.py``, whose console check catches a refused script too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from service.app import create_app
from tests.conftest import DATA
from tests.maps.conftest import needs_chromium
from tests.service.apps import app_settings
from tests.service.served import served

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db: Path = tmp_path_factory.mktemp("csp") / "wabp.sqlite"
    with served(create_app(app_settings(DATA, f"sqlite:///{db}"))) as url:
        yield url


@pytest.mark.parametrize(
    ("path", "drawn"),
    [
        pytest.param("/", "path.leaflet-interactive", id="public-map"),
        pytest.param("/dekking", "h1", id="coverage"),
    ],
)
def test_map_pages_run_under_the_nonce_policy(
    browser: Browser, server: str, path: str, drawn: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        # A refused script or style is reported as an event too, whether or not it logs.
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => "
            "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
        )
        response = page.goto(f"{server}{path}")
        assert response is not None and "nonce-" in response.headers["content-security-policy"]
        page.locator(drawn).first.wait_for(state="attached")
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert problems == []
