"""The HTML fragments inside the map: links that cannot run script, names that cannot be markup."""

from __future__ import annotations

import pytest

from maps.assets import asset_url
from maps.fragments import DEFAULT_JOIN_URL, safe_href


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(None, DEFAULT_JOIN_URL, id="none"),
        pytest.param("", DEFAULT_JOIN_URL, id="empty"),
        pytest.param("/aanmelden?zone=kolmen", "/aanmelden?zone=kolmen", id="relative"),
        pytest.param("https://www.alken.be/wabp", "https://www.alken.be/wabp", id="https"),
        pytest.param("javascript:alert(1)", DEFAULT_JOIN_URL, id="javascript"),
        pytest.param("JavaScript:alert(1)", DEFAULT_JOIN_URL, id="javascript-case"),
        pytest.param("java\tscript:alert(1)", DEFAULT_JOIN_URL, id="javascript-tab"),
        pytest.param("data:text/html,<b>x</b>", DEFAULT_JOIN_URL, id="data"),
    ],
)
def test_safe_href(url: str | None, expected: str) -> None:
    assert safe_href(url) == expected


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        pytest.param("/static", "/static/vendor/x.js", id="service-mount"),
        pytest.param("/static/", "/static/vendor/x.js", id="trailing-slash"),
        pytest.param("assets", "assets/vendor/x.js", id="relative"),
        pytest.param("", "vendor/x.js", id="next-to-the-page"),
        pytest.param("/", "/vendor/x.js", id="root"),
    ],
)
def test_asset_url(base: str, expected: str) -> None:
    assert asset_url(base, "vendor/x.js") == expected
