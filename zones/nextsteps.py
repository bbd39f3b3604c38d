"""What a resident does next, after a lookup: join, ask the group or the municipality, call 101.

The answer names the group; the steps say how to act on it: the registration form with the address
filled in, the group's published contact, the municipality's contact where only the municipality
can help (no group yet, an address elsewhere, an address it does not know), and 101/112. The
published site's search (maps/static/wabp/lookup-core.js) builds the same steps from the same texts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from zones import messages
from zones.dataset import Dataset
from zones.results import LookupResult, NextStep

# The service's registration form (service/routes/signup.py).
DEFAULT_JOIN_URL = "/aanmelden"


@dataclass(frozen=True)
class Contacts:
    """Where residents are sent: the registration form, the municipality, each group's contact."""

    municipality: str
    join_url: str | None
    contact: str | None = None
    contact_url: str | None = None
    groups: dict[str, str] | None = None
    # A dataset of several municipalities (a police zone): each one's [contact, contact URL].
    municipalities: dict[str, list[str | None]] | None = None

    def municipality_contact(self) -> str:
        """Return the municipality's contact as a sentence part (a fallback when none is set)."""
        return self.contact or messages.NO_CONTACT

    def of_address(self, result: LookupResult) -> Contacts:
        """Return the contacts of the municipality the looked-up address lies in."""
        name = result.address.municipality if result.address is not None else None
        own = (self.municipalities or {}).get(name or "")
        if name is None or own is None:
            return self
        return replace(self, municipality=name, contact=own[0], contact_url=own[1])


def join_link(join_url: str, address: str | None, *, coordinator: bool = False) -> str:
    """Return the registration form's link with the address (and role) filled in."""
    query = {
        k: v for k, v in (("adres", address), ("rol", "coordinator" if coordinator else None)) if v
    }
    if not query:
        return join_url
    return join_url + ("&" if "?" in join_url else "?") + urlencode(query)


def address_label(result: LookupResult) -> str | None:
    """Return the looked-up address as one line, or None when there is none."""
    a = result.address
    if a is None:
        return None
    number = f" {a.housenumber}" if a.housenumber else ""
    box = f" bus {a.box}" if a.box else ""
    return f"{a.street}{number}{box}, {a.postcode} {a.municipality}".strip()


def next_steps(result: LookupResult, contacts: Contacts) -> list[NextStep]:
    """Return the steps that fit a lookup's answer, most useful first."""
    steps = messages.STEPS
    contacts = contacts.of_address(result)
    out: list[NextStep] = []
    label = address_label(result)
    ask = NextStep(
        code="contact_municipality",
        text=steps["contact_municipality"].format(
            municipality=contacts.municipality, contact=contacts.municipality_contact()
        ),
        href=contacts.contact_url,
    )
    if result.status == "found":
        for zone in result.zones:
            if contacts.join_url:
                out.append(
                    NextStep(
                        code="join_group",
                        text=steps["join_group"].format(zone=zone.name),
                        href=join_link(contacts.join_url, label),
                    )
                )
            contact = (contacts.groups or {}).get(zone.id)
            if contact:
                out.append(
                    NextStep(
                        code="group_contact",
                        text=steps["group_contact"].format(zone=zone.name, contact=contact),
                    )
                )
        if not contacts.join_url:
            out.append(_via_municipality(contacts))
    elif result.status == "no_zone":
        if contacts.join_url:
            out.append(
                NextStep(
                    code="start_group",
                    text=steps["start_group"],
                    href=join_link(contacts.join_url, label),
                )
            )
            out.append(ask)
        else:
            out.append(_via_municipality(contacts))
    elif result.status == "ambiguous":
        if "add_housenumber" in result.actions:
            out.append(NextStep(code="add_housenumber", text=steps["add_housenumber"]))
        else:
            out.append(NextStep(code="pick_candidate", text=steps["pick_candidate"]))
    elif is_outside(result):
        out.append(
            NextStep(
                code="outside", text=steps["outside"].format(municipality=contacts.municipality)
            )
        )
    else:
        out.append(ask)
    out.append(NextStep(code="call_police", text=steps["call_police"], href="tel:101"))
    return out


def is_outside(result: LookupResult) -> bool:
    """Tell whether the address lies outside the dataset (a postcode or place it does not serve)."""
    # The lookup answers those, and only those, with the one action of asking the municipality.
    return result.status == "not_found" and result.actions == ["contact_municipality"]


def _via_municipality(contacts: Contacts) -> NextStep:
    return NextStep(
        code="join_via_municipality",
        text=messages.STEPS["join_via_municipality"].format(
            municipality=contacts.municipality, contact=contacts.municipality_contact()
        ),
        href=contacts.contact_url,
    )


def contacts_of(dataset: Dataset, join_url: str | None = DEFAULT_JOIN_URL) -> Contacts:
    """Return the contacts a dataset publishes; `join_url` None: the site has no registration form."""
    return Contacts(
        municipality=dataset.meta.name,
        join_url=join_url,
        contact=dataset.meta.contact,
        contact_url=dataset.meta.contact_url,
        groups={z.id: z.props.how_to_join for z in dataset.zones.active() if z.props.how_to_join},
        municipalities={
            m.name: [m.contact, m.contact_url]
            for m in dataset.meta.municipalities
            if m.contact or m.contact_url
        },
    )
