"""What to do next after a lookup: the steps that fit each answer, with the right contact."""

from __future__ import annotations

import pytest

from zones.nextsteps import Contacts, next_steps
from zones.results import CanonicalAddress, LookupResult, ZoneRef

HEILIGENBORN = ZoneRef(id="heiligenborn", name="WABP Heiligenborn", area="Sint-Joris")
CONTACTS = Contacts(
    municipality="Kanton Borgloon",
    join_url="/aanmelden",
    contact="tel. 011 00 00 00",
    groups={"heiligenborn": "Vraag het aan de buurtwerker."},
    municipalities={"Heers": ["tel. 011 11 11 11", "https://heers.example.be"]},
)


def _address(municipality: str) -> CanonicalAddress:
    return CanonicalAddress(
        street="Kerkstraat", housenumber="12", postcode="3870", municipality=municipality
    )


@pytest.mark.parametrize(
    ("result", "codes"),
    [
        pytest.param(
            LookupResult(
                status="found", address=_address("Heers"), zones=[HEILIGENBORN], message=""
            ),
            ["join_group", "group_contact", "call_police"],
            id="found-with-group-contact",
        ),
        pytest.param(
            LookupResult(status="no_zone", address=_address("Heers"), message=""),
            ["start_group", "contact_municipality", "call_police"],
            id="no-group-yet",
        ),
        pytest.param(
            LookupResult(status="not_found", actions=["contact_municipality"], message=""),
            ["outside", "call_police"],
            id="elsewhere",
        ),
        pytest.param(
            LookupResult(
                status="ambiguous", actions=["add_housenumber", "pick_candidate"], message=""
            ),
            ["add_housenumber", "call_police"],
            id="street-only",
        ),
    ],
)
def test_steps_fit_the_answer(result: LookupResult, codes: list[str]) -> None:
    assert [s.code for s in next_steps(result, CONTACTS)] == codes


def test_the_address_municipality_gives_the_contact() -> None:
    result = LookupResult(status="no_zone", address=_address("Heers"), message="")
    ask = next(s for s in next_steps(result, CONTACTS) if s.code == "contact_municipality")
    assert "gemeente Heers (tel. 011 11 11 11)" in ask.text
    assert ask.href == "https://heers.example.be"
    # An address of a municipality without its own contact: the dataset's.
    other = LookupResult(status="no_zone", address=_address("Borgloon"), message="")
    ask = next(s for s in next_steps(other, CONTACTS) if s.code == "contact_municipality")
    assert "gemeente Kanton Borgloon (tel. 011 00 00 00)" in ask.text


def test_without_a_form_the_steps_say_how_to_join() -> None:
    contacts = Contacts(municipality="Alken", join_url=None)
    result = LookupResult(status="found", zones=[HEILIGENBORN], message="")
    steps = next_steps(result, contacts)
    assert [s.code for s in steps] == ["join_via_municipality", "call_police"]
    assert all(not (s.href or "").startswith("/aanmelden") for s in steps)
