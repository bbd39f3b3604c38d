"""What residents type: a seeded corpus of addresses with their noise, from the dataset's register.

Each query is a real register address written the way people write it (no comma, no postcode or a
place name, lower case, "str." and "St.", "O.L.Vrouw", a typo, the number first or glued, a box, a
number the register lacks, a street only), or an address of another municipality: a street name of
this register with a place elsewhere ("Stationsstraat 1, 3500 Hasselt") must never be answered
with the same-named street here. The same corpus drives the API and the published site's search.
"""

from __future__ import annotations

import random
import re

from geo.places import read_bpost
from zones.dataset import Dataset

SEED = 11
SIZE = 300
# Places outside the register, as residents write them.
_ELSEWHERE_STREETS = ("Grote Markt", "Kerkplein", "Dorpsstraat", "Nieuwstraat", "Stationsplein")


def corpus(dataset: Dataset, size: int = SIZE, seed: int = SEED) -> list[str]:
    """Return `size` queries: about four in five register addresses with noise, the rest elsewhere."""
    rng = random.Random(seed)
    register = dataset.register
    served = register.postcodes()
    elsewhere = [(p, name) for p, name in read_bpost() if p not in served]
    out: list[str] = []
    while len(out) < size:
        if rng.random() < 0.2:
            out.append(_elsewhere(rng, dataset, elsewhere))
            continue
        a = rng.randrange(len(register))
        street = register.streets[int(register.street_of[a])]
        out.append(
            _noisy(rng, street.name, register.housenumbers[a], street.postcode, street.municipality)
        )
    return out


def _elsewhere(rng: random.Random, dataset: Dataset, places: list[tuple[str, str]]) -> str:
    postcode, place = rng.choice(places)
    if rng.random() < 0.7:
        name = rng.choice(dataset.register.streets).name  # the same name exists here
    else:
        name = rng.choice(_ELSEWHERE_STREETS)
    number = rng.randint(1, 120)
    form = rng.randrange(4)
    if form == 0:
        return f"{name} {number}, {postcode} {place}"
    if form == 1:
        return f"{name} {number} {postcode} {place}"
    if form == 2:
        return f"{name} {number}, {place}"
    return f"{name} {number} {postcode}"


def _noisy(rng: random.Random, street: str, number: str, postcode: str, place: str) -> str:
    name = _spell(rng, street)
    if "_" in number:  # CRAB's bisnummer "80_2" is typed "80/2" or "80 bus 2"
        head, _, sub = number.partition("_")
        number = (
            f"{head}/{sub}" if sub and rng.random() < 0.5 else f"{head} bus {sub}" if sub else head
        )
    elif rng.random() < 0.1:
        number = f"{number} bus {rng.randint(1, 4)}"
    elif rng.random() < 0.1 and number.isdigit():
        number = str(int(number) + rng.choice((200, 2)))  # a number the register may lack
    form = rng.randrange(10)
    if form == 0:
        return f"{name} {number}, {postcode} {place}"
    if form == 1:
        return f"{name} {number} {place}"
    if form == 2:
        return f"{name} {number} {postcode}"
    if form == 3:
        return f"{name} {number}"
    if form == 4:
        return f"{number} {name}, {place}"
    if form == 5:
        return f"{name}{number}".lower()
    if form == 6:
        return f"  {name.upper()}   {number} ,{postcode}"
    if form == 7:
        return name  # a street only
    if form == 8:
        return f"{name} {number}, {place.lower()}"
    return f"{name}, {number}"


def _spell(rng: random.Random, name: str) -> str:
    """Return the street name as a resident may write it: abbreviated, lower case or mistyped."""
    roll = rng.random()
    if roll < 0.15:
        name = re.sub(r"straat$", rng.choice(("str", "str.", "straat")), name)
        name = re.sub(r"^Sint-", rng.choice(("St.", "St ", "Sint ")), name)
        name = re.sub(r"^Onze-Lieve-Vrouw", rng.choice(("O.L.Vrouw", "OLV-", "O.L.V.")), name)
    elif roll < 0.3 and len(name) >= 8:
        i = rng.randrange(1, len(name) - 1)
        kind = rng.randrange(3)
        if kind == 0:
            name = name[:i] + name[i + 1 :]
        elif kind == 1:
            name = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        else:
            name = name[:i] + rng.choice("aeiou") + name[i + 1 :]
    elif roll < 0.45:
        name = name.lower()
    return name
