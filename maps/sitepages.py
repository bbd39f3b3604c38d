"""The text pages of the zone maps: the group list, the rules and the coverage page (no map)."""

from __future__ import annotations

from maps.page import Site, render_template
from maps.public import PreparedZones, join_href
from zones.coverage import Coverage
from zones.dataset import Dataset


def render_groups_page(
    dataset: Dataset, prepared: PreparedZones, *, site: Site, asset_base: str
) -> str:
    """Return the group list: group, area, streets with their house numbers, how to join."""
    name = dataset.meta.name
    return render_template(
        "groups.html.j2",
        title=f"Groepen en straten - Zones buurtpreventie {name}",
        heading=f"Groepen en straten in {name}",
        municipality=name,
        asset_base=asset_base,
        site=site,
        groups=prepared.group_rows(site),
        join_column=True,
        join_url=join_href(dataset, site),
    )


def render_rules_page(dataset: Dataset, *, site: Site, asset_base: str) -> str:
    """Return the rules every member must know: 101 first, SAAR, what not to share."""
    name = dataset.meta.name
    return render_template(
        "rules_page.html.j2",
        title=f"Afspraken - Zones buurtpreventie {name}",
        heading="Afspraken voor de WhatsApp-buurtpreventie",
        municipality=name,
        asset_base=asset_base,
        site=site,
        join_url=join_href(dataset, site),
    )


def render_coverage_page(
    report: Coverage, *, municipality: str, asset_base: str, site: Site | None = None
) -> str:
    """Return the coverage page for the municipality (counts only, no personal data)."""
    return render_template(
        "coverage.html.j2",
        title=f"Dekking - Zones buurtpreventie {municipality}",
        heading=f"Dekking van de buurtpreventie in {municipality}",
        municipality=municipality,
        asset_base=asset_base,
        site=site,
        report=report,
    )
