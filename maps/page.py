"""The accessible pages around the maps: the template environment, the site links and the map figure.

folium's own page has no ``lang``, no title, no headings or landmarks and locks zoom (ECOSYSTEM.md
§3.2). ``MapFigure`` keeps folium's rendering of a map (its head links, its div, its script) and
places those pieces in one of our Jinja2 templates, which escape every text they are given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import jinja2
from branca.element import Figure
from markupsafe import Markup

from maps.assets import asset_url
from maps.colours import ZoneColour

# (file, menu text) of the pages every published site has, in menu order.
SITE_PAGES = (
    ("index.html", "Kaart"),
    ("groepen.html", "Groepen en straten"),
    ("regels.html", "Afspraken"),
    ("dekking.html", "Dekking"),
)

# The service's path of a site file where it is not the file name without ".html".
LIVE_PATHS = {"index.html": ""}


@dataclass(frozen=True)
class GroupRow:
    """One WABP group as the legend and the group list show it (plain text, escaped by Jinja)."""

    id: str
    name: str
    area: str
    streets: list[str]
    colour: ZoneColour
    how_to_join: str | None = None
    href: str | None = None


@dataclass(frozen=True)
class Site:
    """Links between the pages of a published site, relative to the page being rendered."""

    root: str = ""
    current: str = "index.html"
    lookup_url: str | None = None
    search_index: str = "zoekindex.js"
    # The registration page as an absolute address; None: the dataset's own (relative) link.
    join_url: str | None = None
    # Served by the service itself: links are the service's paths (/groepen), the search asks the
    # API; else a published folder whose links are relative files (groepen.html).
    live: bool = False
    # How to join when there is no registration form to link to (the municipality's contact).
    join_elsewhere: str = ""
    # Served: the path of one municipality's site in a dataset of several (``alken/``).
    prefix: str = ""

    def href(self, path: str) -> str:
        """Return the link to a page or file of the site."""
        if self.live:
            return "/" + self.prefix + LIVE_PATHS.get(path, path.removesuffix(".html"))
        return self.root + path

    def zone_href(self, zone_id: str) -> str:
        """Return the relative link to a zone's page."""
        return self.href(f"zones/{zone_id}.html")

    def at(self, current: str) -> Site:
        """Return the links as seen from another page of the site."""
        root = "" if self.live else "../" * current.count("/")
        return replace(self, root=root, current=current)

    def menu(self) -> list[tuple[str, str, bool]]:
        """Return (link, text, is-current-page) for the site menu."""
        return [(self.href(path), text, path == self.current) for path, text in SITE_PAGES]


class MapFigure(Figure):  # type: ignore[misc]
    """A branca Figure that renders into one of our page templates instead of a bare page."""

    def __init__(self, template: str, **context: Any) -> None:
        super().__init__()
        self.template = template
        self.context = context
        # The template declares <meta charset>; a second declaration is invalid HTML.
        self.header._children.pop("meta_http", None)

    def render(self, **kwargs: Any) -> str:
        """Render the map elements, then the whole page."""
        for child in self._children.values():
            child.render(**kwargs)
        return render_template(
            self.template,
            # folium's output is markup we generated (texts in it went through maps.fragments).
            head=Markup(self.header.render(**kwargs)),
            map_html=Markup(self.html.render(**kwargs)),
            map_script=Markup(self.script.render(**kwargs)),
            **self.context,
        )


def render_template(name: str, **context: Any) -> str:
    """Render one of the page templates; every text in `context` is escaped."""
    return _environment().get_template(name).render(**context)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("maps", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["asset_url"] = asset_url
    env.filters["nl_int"] = nl_int
    env.filters["nl_percent"] = nl_percent
    return env


def nl_int(value: int) -> str:
    """Format a count the Belgian-Dutch way (``1.234``)."""
    return f"{value:,}".replace(",", ".")


def nl_percent(value: float, decimals: int = 1) -> str:
    """Format a share (0..1) as a Belgian-Dutch percentage (``93,4 %``)."""
    return f"{value * 100:.{decimals}f}".replace(".", ",") + " %"
