"""The text pages of the zone maps: the group list, the rules and the coverage page (no map)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from geo.municipalities import display_name
from maps.documents import document_html
from maps.page import Site, render_template
from maps.public import PreparedZones, join_href
from zones.coverage import Coverage
from zones.dataset import Dataset
from zones.errors import DatasetError
from zones.municipal import municipality_rules, zone_municipalities
from zones.rules import GroupRules
from zones.sources import slugify


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


def dataset_rules(dataset: Dataset, municipality: str | None = None) -> GroupRules | None:
    """Return the group rules and statement of intent (a municipality's own); None without any."""
    try:
        return municipality_rules(dataset, municipality)
    except DatasetError:  # a dataset without rules (registration off): the short version only
        return None


def render_rules_page(
    dataset: Dataset, texts: GroupRules | None, *, site: Site, asset_base: str
) -> str:
    """Return the rules every member must know: 101 first, SAAR, then the dataset's own rules.

    The group rules and the statement of intent are the municipality's versioned texts
    (``reglement.json``, `zones.rules`, read by `dataset_rules`): the same words residents accept
    when they apply. Without `texts` the page keeps to 101, 112 and SAAR.
    """
    name = dataset.meta.name
    return render_template(
        "rules_page.html.j2",
        title=f"Afspraken - Zones buurtpreventie {name}",
        heading="Afspraken voor de WhatsApp-buurtpreventie",
        municipality=name,
        asset_base=asset_base,
        site=site,
        join_url=join_href(dataset, site),
        texts=texts,
        rules_html=document_html(texts.rules.text, 1) if texts else None,
        statement_html=document_html(texts.statement.text, 1) if texts else None,
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


@dataclass(frozen=True)
class MunicipalityEntry:
    """One municipality on the chooser page: its name as residents read it and its site."""

    label: str
    href: str
    zones: int


def municipality_folder(name: str) -> str:
    """Return the folder (published) or path segment (served) of a municipality's site."""
    return slugify(name)


def chooser_entries(dataset: Dataset, href: Callable[[str], str]) -> list[MunicipalityEntry]:
    """Return the chooser's entries of a dataset of several municipalities, linked by `href`.

    A zone counts for the municipality that owns it (`zone_municipalities`), as on its site.
    """
    owner = zone_municipalities(dataset.zones, dataset.register, dataset.table)
    active = Counter(owner.get(z.id) for z in dataset.zones.active())
    held = dataset.municipalities
    entries = []
    for name in held.names:
        postcodes = held.find(name).postcodes or [""]
        entries.append(
            MunicipalityEntry(
                # Residents since 2025 look for Tongeren-Borgloon as well as Borgloon.
                label=display_name(name, postcodes[0]),
                href=href(name),
                zones=active[name],
            )
        )
    return entries


def render_chooser_page(
    name: str, municipalities: list[MunicipalityEntry], *, asset_base: str
) -> str:
    """Return the page that lets a resident pick their municipality (a dataset of several)."""
    return render_template(
        "municipalities.html.j2",
        title=f"Zones buurtpreventie {name}",
        heading=f"Buurtpreventie {name}",
        municipality=name,
        asset_base=asset_base,
        site=None,
        municipalities=municipalities,
    )
