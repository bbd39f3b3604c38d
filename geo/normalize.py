"""Normalising street names so that the ways people (and the register) write them compare equal.

``St. Jorisstraat``, ``Sint-Jorisstraat`` and ``st jorisstr`` all become ``sintjorisstraat``;
``O. L. Vrouwstraat`` and ``OLV-straat`` become ``onzelievevrouwstraat``. The same function is applied
to the register's names and to what a resident typed, so the comparison is symmetric.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from unidecode import unidecode

# Whole-token abbreviations, as written in the register and by residents.
_TOKEN_ABBREVIATIONS = {
    "st": "sint",
    "sts": "sint",
    "prof": "professor",
    "dr": "dokter",
    "mgr": "monseigneur",
    "burg": "burgemeester",
    "kard": "kardinaal",
    "ir": "ingenieur",
    "str": "straat",
    "stwg": "steenweg",
    "stw": "steenweg",
    "ln": "laan",
    "pl": "plein",
    "stg": "steeg",
}
# Abbreviated endings glued to the name: "Doktoorstr", "Hasseltsestwg", "Beukenln", "Stationspl".
_SUFFIX_ABBREVIATIONS = (
    ("stwg", "steenweg"),
    ("str", "straat"),
    ("ln", "laan"),
    ("pl", "plein"),
)
_OLV = re.compile(r"\b(?:o\s?l\s?v(?:rouw)?|onze\s?lieve\s?vrouw)(?=\s|$|[a-z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def rules() -> dict[str, object]:
    """Return the abbreviation rules as data (the published site's search applies the same)."""
    return {
        "tokens": dict(_TOKEN_ABBREVIATIONS),
        "suffixes": [list(pair) for pair in _SUFFIX_ABBREVIATIONS],
        "olv": _OLV,
    }


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces (``Sint-Jorisstraat`` -> ``sint jorisstraat``)."""
    text = unicodedata.normalize("NFKC", text)
    return _NON_ALNUM.sub(" ", unidecode(text).lower()).strip()


def expand(folded: str) -> str:
    """Expand abbreviations in an already folded name (``st jorisstr`` -> ``sint jorisstraat``)."""
    folded = _OLV.sub("onze lieve vrouw ", folded)
    words = []
    for word in folded.split():
        if word in _TOKEN_ABBREVIATIONS:
            word = _TOKEN_ABBREVIATIONS[word]
        else:
            for short, long in _SUFFIX_ABBREVIATIONS:
                # Only a real stem before the ending: "kerkstr" yes, but not "pl" inside "kapl".
                if word.endswith(short) and len(word) > len(short) + 3:
                    word = word[: -len(short)] + long
                    break
        words.append(word)
    return " ".join(words)


def street_words(name: str) -> list[str]:
    """Return the words of a street name, folded and expanded (``St. Jorisstr`` -> ``sint``, ``jorisstraat``)."""
    return expand(fold(name)).split()


def street_words_by_name(names: Iterable[str]) -> dict[str, list[str]]:
    """Return `street_words` of each distinct name (a register repeats a name in many postcodes)."""
    return {name: street_words(name) for name in dict.fromkeys(names)}


def street_key(name: str) -> str:
    """Return the comparison key of a street name: folded, expanded, without spaces."""
    return "".join(street_words(name))


def place_key(name: str) -> str:
    """Return the comparison key of a place name (``Sint-Joris`` -> ``sintjoris``)."""
    return expand(fold(name)).replace(" ", "")
