"""The Dutch texts: every notice code the geocoder gives has one, with the values it names."""

from __future__ import annotations

import re
from typing import get_args

import pytest

from geo.geocode import NoticeCode
from zones import messages


@pytest.mark.parametrize("code", get_args(NoticeCode))
def test_every_geocoder_notice_has_a_dutch_text(code: str) -> None:
    text = messages.WARNINGS[code]
    # Filled with the values' names, a text renders and shows each of them.
    names = re.findall(r"{(\w+)}", text)
    rendered = messages.warning_text(code, **{n: f"<{n}>" for n in names})
    assert all(f"<{n}>" in rendered for n in names)
