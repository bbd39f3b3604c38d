"""Fixtures of the geo tests: the shipped Alken register, loaded once per session."""

from __future__ import annotations

import pytest

from geo.matcher import StreetMatcher
from geo.register import AddressRegister
from tests.common import DATA


@pytest.fixture(scope="session")
def alken_register() -> AddressRegister:
    """Return the real CRAB register of Alken (data/addresses.csv)."""
    return AddressRegister.from_csv(DATA / "addresses.csv")


@pytest.fixture(scope="session")
def alken_matcher(alken_register: AddressRegister) -> StreetMatcher:
    """Return a street matcher over Alken's official street names."""
    streets = alken_register.streets
    return StreetMatcher([s.name for s in streets], [s.postcode for s in streets])


@pytest.fixture(scope="session")
def alken_streets(alken_register: AddressRegister) -> list[str]:
    """Return Alken's official street names, as the register spells them."""
    return sorted({s.name for s in alken_register.streets})
