"""The vendored static assets of the maps (Leaflet and our own CSS) and the URLs they are served at.

The service mounts ``STATIC_DIR`` at ``/static``; a static export copies it next to the HTML and passes
a relative ``asset_base``. Scripts and stylesheets never come from a CDN: every visitor's IP would go
to a third party, and tests and CI have no network (ECOSYSTEM.md §1.12).
"""

from __future__ import annotations

import re
from pathlib import Path

STATIC_DIR: Path = Path(__file__).resolve().parent / "static"
LEAFLET_VERSION = "1.9.3"

# A path prefix only: no scheme, no host, nothing that needs quoting inside an HTML attribute.
_ASSET_BASE = re.compile(r"^[A-Za-z0-9._~/-]*$")


# A same-origin path: pages send the signed-in user's bearer token there, so never another host.
_API_BASE = re.compile(r"^/[A-Za-z0-9._~/-]*$")


def api_base_path(api_base: str) -> str:
    """Return `api_base` without a trailing slash, or raise ValueError unless it is same-origin."""
    if not _API_BASE.fullmatch(api_base) or api_base.startswith("//"):
        raise ValueError(f"api_base {api_base!r} must be a same-origin path such as '/api'")
    return api_base.rstrip("/")


def asset_url(asset_base: str, relative: str) -> str:
    """Return the URL of a file under ``STATIC_DIR`` served below `asset_base`."""
    if not _ASSET_BASE.fullmatch(asset_base) or asset_base.startswith("//"):
        raise ValueError(
            f"asset_base {asset_base!r} must be a local path prefix such as '/static' or 'assets'"
        )
    base = asset_base.rstrip("/")
    return f"{base}/{relative}" if base or asset_base == "/" else relative


def leaflet_js(asset_base: str) -> list[tuple[str, str]]:
    """Return folium's ``default_js`` for a Map: the vendored Leaflet only."""
    return [("leaflet", asset_url(asset_base, "vendor/leaflet/leaflet.js"))]


def map_css(asset_base: str) -> list[tuple[str, str]]:
    """Return folium's ``default_css`` for a Map: the vendored Leaflet CSS and ours."""
    return [
        ("leaflet_css", asset_url(asset_base, "vendor/leaflet/leaflet.css")),
        ("wabp_css", asset_url(asset_base, "wabp/public-map.css")),
    ]
