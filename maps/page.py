"""The accessible page around the map: header, search form, legend, group list and the rules.

folium's own page has no ``lang``, no title, no headings or landmarks and locks zoom (ECOSYSTEM.md
§3.2). ``PageFigure`` keeps folium's rendering of the map (its head links, its div, its script) and
places those pieces in our Jinja2 template, which escapes every text it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
from branca.element import Figure
from markupsafe import Markup

from maps.colours import ZoneColour


@dataclass(frozen=True)
class GroupRow:
    """One WABP group as the legend and the group list show it (plain text, escaped by Jinja)."""

    name: str
    area: str
    streets: list[str]
    colour: ZoneColour
    how_to_join: str | None = None


@dataclass(frozen=True)
class PageContent:
    """What the page says around the map."""

    municipality: str
    groups: list[GroupRow]
    join_url: str
    lookup_url: str | None
    map_name: str
    example_address: str = "Kerkstraat 12"
    infobord_count: int = 0
    has_boundary: bool = False

    @property
    def title(self) -> str:
        """Return the page title, also its h1."""
        return f"Zones buurtpreventie {self.municipality}"


class PageFigure(Figure):  # type: ignore[misc]
    """A branca Figure that renders into the public page template instead of a bare page."""

    def __init__(self, content: PageContent) -> None:
        super().__init__()
        self.content = content
        # The template declares <meta charset>; a second declaration is invalid HTML.
        self.header._children.pop("meta_http", None)

    def render(self, **kwargs: Any) -> str:
        """Render the map elements, then the whole page."""
        for child in self._children.values():
            child.render(**kwargs)
        return render_page(
            self.content,
            head=self.header.render(**kwargs),
            map_html=self.html.render(**kwargs),
            map_script=self.script.render(**kwargs),
        )


def render_page(content: PageContent, *, head: str, map_html: str, map_script: str) -> str:
    """Render the page template around folium's head links, map div and map script."""
    template = _environment().get_template("public.html.j2")
    return template.render(
        page=content,
        # folium's output is markup we generated (texts in it are escaped by maps.html).
        head=Markup(head),
        map_html=Markup(map_html),
        map_script=Markup(map_script),
    )


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("maps", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
