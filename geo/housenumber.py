"""House numbers as the register writes them (``12``, ``30A``, ``27b``, ``204_1``, ``12bis``) and as
people type them (``12 bus 3``, ``12/3``, ``12 b3``, ``12-14``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

Parity = Literal["even", "odd"]

_REGISTER = re.compile(
    r"^\s*(?P<num>\d+)\s*(?P<suffix>[a-z]{0,4})\s*(?:_\s*(?P<sub>\w*))?\s*$", re.I
)
# The same pattern by a public name: the published site's search reads it (maps/searchindex.py).
REGISTER_PATTERN = _REGISTER


@dataclass(frozen=True, order=True)
class HouseNumber:
    """A house number split into its numeric part and suffix, ordered as on the street."""

    number: int
    suffix: str = ""

    @property
    def parity(self) -> Parity:
        """Return the side of the street: even or odd."""
        return "even" if self.number % 2 == 0 else "odd"

    def __str__(self) -> str:
        return f"{self.number}{self.suffix.upper()}"


@functools.lru_cache(maxsize=1 << 16)
def parse_register_number(text: str) -> HouseNumber | None:
    """Parse a register house number; None for numbers without digits (``zn``, ``A4``).

    Cached: the street rules of a report or an approval parse the same few thousand numbers
    ("1" to "200", "12A") over and over (a HouseNumber is immutable).
    """
    m = _REGISTER.match(text)
    if not m:
        return None
    suffix = m["suffix"].lower()
    if m["sub"] is not None:
        suffix = f"{suffix}_{m['sub']}"
    return HouseNumber(int(m["num"]), suffix)


def number_key(text: str) -> str:
    """Return the comparison key of a house number: lower case, no spaces (``30 A`` -> ``30a``)."""
    return "".join(text.split()).lower()
