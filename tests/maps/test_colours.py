"""Zone colours: distinct fills, outlines with at least 3:1 contrast on the tile-less map."""

from __future__ import annotations

import pytest

from maps.colours import MAP_BACKGROUND, contrast_ratio, readable_outline, zone_colours


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param("#000000", "#ffffff", 21.0, id="black-on-white"),
        pytest.param("#ffffff", "#ffffff", 1.0, id="same"),
        pytest.param("#767676", "#ffffff", 4.54, id="grey-aa-limit"),
    ],
)
def test_contrast_ratio(a: str, b: str, expected: float) -> None:
    assert contrast_ratio(a, b) == pytest.approx(expected, abs=0.01)
    assert contrast_ratio(b, a) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("count", [1, 9, 12, 30])
def test_fills_are_distinct_and_outlines_readable(count: int) -> None:
    colours = zone_colours(count)
    assert len({c.fill for c in colours}) == count
    for colour in colours:
        assert contrast_ratio(colour.outline, MAP_BACKGROUND) >= 3.0


def test_dark_colour_keeps_its_outline() -> None:
    assert readable_outline("#1f5f8b") == "#1f5f8b"


def test_outline_of_a_light_colour_is_darkened() -> None:
    outline = readable_outline("#edc948")
    assert outline != "#edc948"
    assert contrast_ratio(outline, MAP_BACKGROUND) >= 3.0
