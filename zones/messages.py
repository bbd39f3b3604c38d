"""The Dutch (nl-BE) texts residents read, keyed by stable codes that the API also returns."""

from __future__ import annotations

from zones.results import ZoneRef

WARNINGS = {
    "street_corrected": "We verbeterden de straatnaam naar '{street}'.",
    "housenumber_missing": "U gaf geen huisnummer op.",
    "housenumber_not_found": (
        "Huisnummer {number} staat niet in het adressenregister; we gebruikten het dichtstbijzijnde "
        "nummer aan dezelfde kant van de straat."
    ),
    "housenumber_range": "U gaf een reeks huisnummers op; we gebruikten nummer {number}.",
    "box_unverified": "Busnummers staan niet in het adressenregister; busnummer {box} is niet gecontroleerd.",
    "approximate_position": "Dit adres heeft geen exacte positie in het register; de positie is geschat.",
    "near_zone_boundary": (
        "Uw adres ligt vlak bij de grens met een andere zone; vraag bij twijfel de coördinator om bevestiging."
    ),
    "on_zone_border": "Dit punt ligt op de grens van twee zones; u kunt bij beide groepen terecht.",
    "place_ignored": "De plaatsnaam '{place}' kennen we niet; we zochten in het hele gebied.",
    "place_mismatch": "Deze straat ligt niet in de postcode of gemeente die u opgaf.",
    "place_chosen": (
        "Deze straatnaam bestaat op meer dan één plaats; we kozen {place}, de enige waar "
        "huisnummer {number} bestaat."
    ),
}


def warning_text(code: str, **values: str) -> str:
    """Return the Dutch explanation of a warning code."""
    return WARNINGS[code].format(**values)


def _names(zones: list[ZoneRef]) -> str:
    names = [z.name for z in zones]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " en " + names[-1]


FOUND_ONE = "{label} hoort bij {zone}. Meld u aan om lid te worden van deze groep."
FOUND_MANY = "{label} ligt op de grens van {zones}: u kunt bij elk van deze groepen aansluiten."
NO_ZONE = (
    "Voor {label} is er nog geen WABP-groep. Start er zelf een: meld u aan als coördinator, "
    "of neem contact op met de gemeente."
)


def found(label: str, zones: list[ZoneRef]) -> str:
    """Tell a resident which group is theirs."""
    if len(zones) == 1:
        return FOUND_ONE.format(label=label, zone=zones[0].name)
    return FOUND_MANY.format(label=label, zones=_names(zones))


def found_point(zones: list[ZoneRef]) -> str:
    """Tell which group covers a point on the map."""
    if len(zones) == 1:
        return f"Dit punt ligt in de zone van {zones[0].name}."
    return f"Dit punt ligt op de grens van {_names(zones)}."


def no_zone(label: str) -> str:
    """Tell a resident there is no group yet, and how to start one."""
    return NO_ZONE.format(label=label)


NO_ZONE_POINT = "Hier is nog geen WABP-groep. Start er zelf een: meld u aan als coördinator."
AMBIGUOUS = "We weten niet zeker welk adres u bedoelt. Kies hieronder uw adres."
AMBIGUOUS_NUMBER = "Geef ook uw huisnummer op: deze straat ligt in meer dan één zone."
NOT_FOUND = (
    "We vonden dit adres niet in het adressenregister. Controleer de straatnaam en het huisnummer, "
    "of neem contact op met de gemeente."
)
NOT_SERVED = "Postcode {postcode} valt buiten het gebied van deze dienst. Neem contact op met uw eigen gemeente."
NO_STREET = "Typ een straatnaam en een huisnummer, bijvoorbeeld 'Kerkstraat 12, 3570 Alken'."

# What to do next, per step code (zones/nextsteps.py decides which apply).
STEPS = {
    "join_group": "Meld u aan bij {zone}.",
    "group_contact": "{zone}: {contact}",
    "start_group": "Start zelf een groep: meld u aan als coördinator voor uw buurt.",
    "join_via_municipality": "Aanmelden gebeurt via de gemeente {municipality} ({contact}).",
    "contact_municipality": "Vragen? Neem contact op met de gemeente {municipality} ({contact}).",
    "outside": (
        "Uw adres ligt niet in {municipality}. Vraag uw eigen gemeente of er bij u een "
        "buurtpreventiegroep is."
    ),
    "add_housenumber": "Geef ook uw huisnummer op.",
    "pick_candidate": "Kies hierboven uw adres.",
    "call_police": (
        "Ziet u iets verdachts? Bel eerst 101 (politie), en pas daarna de groep. "
        "Bij direct gevaar belt u 112."
    ),
}
# When the municipality published no contact.
NO_CONTACT = "via het gemeentehuis"


def texts() -> dict[str, object]:
    """Return every text above as data: the published site's search says the same words."""
    return {
        "warnings": dict(WARNINGS),
        "found_one": FOUND_ONE,
        "found_many": FOUND_MANY,
        "no_zone": NO_ZONE,
        "ambiguous": AMBIGUOUS,
        "ambiguous_number": AMBIGUOUS_NUMBER,
        "not_found": NOT_FOUND,
        "not_served": NOT_SERVED,
        "no_street": NO_STREET,
        "steps": dict(STEPS),
        "no_contact": NO_CONTACT,
    }
