"""Street autocomplete on Alken's real street names: whole-name prefixes first, abbreviations, typos."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.register import AddressRegister
from geo.suggest import StreetSuggester, Suggestion


@pytest.fixture(scope="module")
def names(alken_register: AddressRegister) -> list[str]:
    """Return the street names in register order (a suggestion's street_id indexes this list)."""
    return [s.name for s in alken_register.streets]


@pytest.fixture(scope="module")
def suggester(names: list[str]) -> StreetSuggester:
    return StreetSuggester(names)


def suggest(suggester: StreetSuggester, names: list[str], typed: str, limit: int = 10) -> list[str]:
    return [names[s.street_id] for s in suggester.suggest(typed, limit)]


def test_whole_name_prefix_ranks_before_a_word_prefix(
    suggester: StreetSuggester, names: list[str]
) -> None:
    # "kruis" starts Kruisstraat, and only the second word of Rode Kruisplein.
    got = suggester.suggest("kruis")
    assert [names[s.street_id] for s in got[:2]] == ["Kruisstraat", "Rode Kruisplein"]
    assert got[0].score > got[1].score


@pytest.mark.parametrize(
    ("typed", "street"),
    [
        pytest.param("st jor", "St. Jorisstraat", id="st for St."),
        pytest.param("sint jor", "St. Jorisstraat", id="sint for St."),
        pytest.param("olv", "O. L. Vrouwstraat", id="olv"),
        pytest.param("o.l.v", "O. L. Vrouwstraat", id="o.l.v"),
        pytest.param("heil", "Heiligenbornstraat", id="plain prefix"),
        pytest.param("HEIL", "Heiligenbornstraat", id="capitals"),
        pytest.param("rode", "Rode Kruisplein", id="first word"),
    ],
)
def test_abbreviations_and_prefixes(
    suggester: StreetSuggester, names: list[str], typed: str, street: str
) -> None:
    assert suggest(suggester, names, typed)[0] == street


def test_a_typo_still_finds_the_street(suggester: StreetSuggester, names: list[str]) -> None:
    # "bron" for "born": no prefix matches, the fuzzy pass finds it, ranked below any exact prefix.
    (got,) = suggester.suggest("heiligenbron")
    assert names[got.street_id] == "Heiligenbornstraat"
    assert 0 < got.score < 0.95


@pytest.mark.parametrize("typed", ["", "   ", ".,-", "'"])
def test_nothing_typed_gives_nothing(suggester: StreetSuggester, typed: str) -> None:
    assert suggester.suggest(typed) == []


def test_short_text_with_no_match_gives_nothing(suggester: StreetSuggester) -> None:
    # Under four characters there is no fuzzy pass: "qzx" must not pull in random streets.
    assert suggester.suggest("qzx") == []


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        pytest.param(1, 1, id="one"),
        pytest.param(5, 5, id="five"),
        pytest.param(10, 10, id="ten"),
        pytest.param(50, 19, id="more than there are"),  # 19 Alken streets have a word in "k..."
    ],
)
def test_limit_is_respected(suggester: StreetSuggester, limit: int, expected: int) -> None:
    assert len(suggester.suggest("k", limit)) == expected


def test_results_are_best_first_and_unique(suggester: StreetSuggester) -> None:
    got = suggester.suggest("k", 50)
    assert len({s.street_id for s in got}) == len(got)
    scores = [s.score for s in got]
    assert scores == sorted(scores, reverse=True)


def test_a_smaller_limit_is_a_prefix_of_a_larger_one(suggester: StreetSuggester) -> None:
    assert suggester.suggest("k", 5) == suggester.suggest("k", 20)[:5]


def test_same_name_in_two_postcodes_gives_both() -> None:
    suggester = StreetSuggester(["Kerkstraat", "Kerkstraat", "Kerkhofstraat"])
    got = suggester.suggest("kerkstr")
    assert sorted(s.street_id for s in got[:2]) == [0, 1]
    assert [s.score for s in got[:2]] == [1.0, 1.0]
    # Kerkhofstraat is only a fuzzy match of "kerkstr", offered after both exact prefixes.
    assert [s.street_id for s in got[2:]] == [2] and got[2].score < 0.95


@given(typed=st.text(max_size=60), limit=st.integers(min_value=1, max_value=50))
def test_arbitrary_text_never_raises(suggester: StreetSuggester, typed: str, limit: int) -> None:
    got = suggester.suggest(typed, limit)
    assert len(got) <= limit
    assert all(isinstance(s, Suggestion) and 0 < s.score <= 1 for s in got)


@pytest.mark.parametrize("typed", ["k", "s", "h", "b", "m", "l"])
@pytest.mark.parametrize("limit", [1, 3, 10])
def test_a_broad_prefix_ranks_as_a_full_sort_would(
    suggester: StreetSuggester, names: list[str], typed: str, limit: int
) -> None:
    # Broad prefixes pick their best few with argpartition; the order must be that of sorting
    # every match by (whole-name prefix first, shorter name, name).
    from geo.normalize import expand, fold, street_key

    key = street_key(typed)
    matches: dict[int, tuple[bool, int, str]] = {}
    for sid, name in enumerate(names):
        words = expand(fold(name)).split()
        full = "".join(words)
        for w in range(len(words)):
            if "".join(words[w:]).startswith(key):
                rank = (w > 0, len(full), full)
                matches[sid] = min(matches.get(sid, rank), rank)
    expected = sorted(matches, key=lambda sid: (matches[sid], sid))[:limit]
    assert len(expected) == limit  # the prefix is broad enough for the test to mean something
    got = suggester.suggest(typed, limit)
    assert [s.street_id for s in got] == expected
