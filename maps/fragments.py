"""HTML fragments shown inside the map (popups, tooltips, labels, layer names), every text escaped.

Leaflet puts these strings into the page with ``innerHTML``, so a zone name such as
``<img onerror=...>`` would run if it were not escaped here. The fragments travel to the browser as
JSON inside the map script (folium's ``tojson``/``tojavascript`` escape ``<``, ``>`` and ``&`` there),
never through folium's ``Html(script=True)`` or its backtick templates, where ``${...}`` would run.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from maps.colours import ZoneColour
from zones.nextsteps import DEFAULT_JOIN_URL as DEFAULT_JOIN_URL
from zones.schema import Zone
from zones.storage import InfobordFeature


def safe_href(url: str | None, default: str = DEFAULT_JOIN_URL) -> str:
    """Return `url` if it is a web or relative link, else `default` (no ``javascript:`` links)."""
    if not url or any(c.isspace() or ord(c) < 32 for c in url):
        return default
    scheme = urlsplit(url).scheme.lower()
    return url if scheme in ("", "http", "https") else default


def zone_tooltip(zone: Zone) -> str:
    """Return the tooltip of a zone: its group name."""
    return escape(zone.name)


def zone_label(zone: Zone, colour: ZoneColour) -> str:
    """Return the name label drawn inside a zone."""
    return f'<span style="border-color:{colour.outline}">{escape(zone.name)}</span>'


def layer_name(name: str, colour: ZoneColour | None = None) -> str:
    """Return a name for the layer control, with a colour swatch when given."""
    if colour is None:
        return escape(name)
    swatch = (
        f'<span class="wabp-swatch" aria-hidden="true" '
        f'style="background:{colour.fill};border-color:{colour.outline}"></span>'
    )
    return f"{swatch}{escape(name)}"


def infobord_name(board: InfobordFeature, zone: Zone | None) -> str:
    """Return the plain-text name of an infobord (its label, else ``Infobord <group>``)."""
    props = board.properties
    return props.label or f"Infobord {zone.name if zone else props.zone_id}"


def infobord_title(board: InfobordFeature, zone: Zone | None) -> str:
    """Return the plain-text title of an infobord marker (``Infobord WABP Kolmen``)."""
    name = infobord_name(board, zone)
    return f"{name} (indicatieve plaats)" if board.properties.illustrative else name


def infobord_icon(title: str) -> str:
    """Return the inner HTML of an infobord marker: a sign, and its title for screen readers."""
    return f'<span aria-hidden="true">i</span><span class="wabp-sr">{escape(title)}</span>'


def infobord_popup(board: InfobordFeature, zone: Zone | None) -> str:
    """Return the popup of an infobord marker."""
    name = escape(infobord_name(board, zone))
    parts = [f'<div class="wabp-popup"><p class="wabp-popup__title">{name}</p>']
    if zone is not None:
        parts.append(f"<p>Groep: {escape(zone.name)}</p>")
    if board.properties.illustrative:
        parts.append("<p>De plaats op de kaart is bij benadering.</p>")
    parts.append("</div>")
    return "".join(parts)
