"""Splitting a typed Belgian address into street, house number, box, postcode and place.

Handles what residents type: ``Heiligenbornstraat 12, 3570 Alken``, ``motstraat10``,
``St. Jorisstraat 5 bus 3``, ``Kerkstraat 12/3``, ``12 b3``, ``12-14``, ``3570 Alken, Beukenlaan 4``
and a street with no number at all. It does not decide whether the street exists: see `geo.matcher`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A house number with an optional letter prefix (CRAB has ``A9``, ``B55``), letter suffix, range end
# and box. The suffix may not be the start of a box word ("bus", "bte", the "b." of "12 b.3") nor of
# a longer word ("12 Alken"); digits glued to a word ("20ste-Liniestraat") are no house number.
_NUMBER = re.compile(
    r"""
    (?<![\w])(?P<lead>[a-z](?=\d))?(?P<num>\d{1,5})
    (?!(?!bus|bte|box|bis|ter)[^\W\d_]{3})
    (?:\s*(?!(?:bus|bte|box)\b|b\.\s*\d)(?P<suffix>bis|ter|[a-z]{1,2})(?![\w]))?
    (?:\s*[-–]\s*(?P<num2>\d{1,5})[a-z]?(?![\w]))?
    (?:\s*(?:bus|bte|box|b\.?|/|_)\s*(?P<box>[a-z]?\d{1,4}[a-z]?|[a-z])(?![\w]))?
    """,
    re.IGNORECASE | re.VERBOSE,
)
_POSTCODE = re.compile(r"(?<!\d)([1-9]\d{3})(?!\d)")
_PLACE_ONLY = re.compile(r"^\s*(?:[1-9]\d{3})?\s*[^\W\d_][^\d]*$|^\s*[1-9]\d{3}\s*$")
_GLUED = re.compile(r"(?<=[^\W\d_]{2})(?=\d)")
_COUNTRY = re.compile(r"\b(belgie|belgië|belgique|belgium|be)\s*$", re.IGNORECASE)
# The patterns above by name, for the published site's search, which reads them instead of
# keeping a copy of its own (maps/searchindex.py exports them).
PATTERNS = {
    "number": _NUMBER,
    "postcode": _POSTCODE,
    "place_only": _PLACE_ONLY,
    "glued": _GLUED,
    "country": _COUNTRY,
}


@dataclass(frozen=True)
class ParsedAddress:
    """The parts of a typed address; every part may be missing."""

    street: str
    housenumber: str | None = None
    box: str | None = None
    postcode: str | None = None
    place: str | None = None
    range_end: str | None = None


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    text = text.replace(";", ",").replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"\s+", " ", text).strip(" ,")


def _split_place(text: str) -> tuple[str | None, str | None]:
    text = _COUNTRY.sub("", text).strip(" ,")
    postcode = None
    if m := _POSTCODE.search(text):
        postcode = m.group(1)
        text = (text[: m.start()] + " " + text[m.end() :]).strip(" ,")
    # Stray punctuation ("12b.") is not a place name.
    place = re.sub(r"\s+", " ", re.sub(r"[,.;:/]+", " ", text)).strip() or None
    return postcode, place


def parse_address(text: str) -> ParsedAddress:
    """Split a typed address into its parts."""
    return parse_alternatives(text)[0]


def parse_alternatives(text: str) -> list[ParsedAddress]:
    """Return every plausible split of a typed address, the most likely first.

    Street names may hold numbers (``Z. 4 Broekooi``, ``3e Regt.Lansiersstraat``, ``Kanaaldok B1``):
    which number is the house number only the register can tell, so the caller picks the split
    whose street exists. The first split is the one to use when none does.
    """
    text = _GLUED.sub(" ", _clean(text))
    parts = [p.strip() for p in text.split(",") if p.strip()]
    street_part = ""
    place_parts: list[str] = []
    for part in parts:
        # "3570 Alken" or "Alken" after the street is place; the first part holding a number
        # after some letters (or the first part at all) is the street.
        if street_part and _PLACE_ONLY.match(part):
            place_parts.append(part)
        elif (
            not street_part and _POSTCODE.fullmatch(part.split(" ")[0]) and _PLACE_ONLY.match(part)
        ):
            place_parts.append(part)
        elif not street_part:
            street_part = part
        else:
            place_parts.append(part)

    out: list[ParsedAddress] = []
    for m in _NUMBER.finditer(street_part):
        before = street_part[: m.start()].strip(" ,")
        if re.search(r"[^\W\d_]", before):
            out.append(_split(before, m, street_part[m.end() :], place_parts))
        elif m.start() == 0:
            # Number first ("12 Heiligenbornstraat"): the street is the text that follows.
            after = street_part[m.end() :].strip(" ,")
            words = re.match(r"[^\d,]+", after)
            if words and re.search(r"[^\W\d_]{3}", words.group(0)):
                out.append(_split(words.group(0), m, after[words.end() :], place_parts))
    if not out:
        postcode, place = _split_place(" ".join(place_parts))
        out.append(ParsedAddress(street=street_part.strip(), postcode=postcode, place=place))
    return out


def _split(street: str, number: re.Match[str], rest: str, place_parts: list[str]) -> ParsedAddress:
    postcode, place = _split_place(" ".join([rest, *place_parts]))
    lead = (number["lead"] or "").lower()
    suffix = (number["suffix"] or "").lower()
    return ParsedAddress(
        street=street.strip(" ,"),
        housenumber=lead + number["num"] + suffix,
        box=number["box"],
        postcode=postcode,
        place=place,
        range_end=number["num2"],
    )
