"""The strict number reader every handler uses for command arguments and callback data."""

from __future__ import annotations

import pytest

from bot.validate import INT64_MAX, positive_id, row_id, strict_int, user_id


@pytest.mark.parametrize("text", ["²", "٣", "12²", "１２", "1_000", " 12", "12 ", "+12", "0x10", "1e3", "", "-",
                                  "12\x00", str(2**63), str(-(2**63) - 1), "9" * 40, None, 12])
def test_anything_but_ascii_digits_in_range_is_refused(text):
    assert strict_int(text) is None


def test_ascii_digits_within_64_bits_are_read():
    assert strict_int("0") == 0 and strict_int("-5") == -5 and strict_int(str(INT64_MAX)) == INT64_MAX
    assert user_id("500000001") == 500_000_001 and user_id("0") is None and user_id("-1") is None
    assert positive_id(str(2**40)) == 2**40
    assert row_id(str(2**31 - 1)) == 2**31 - 1 and row_id(str(2**31)) is None
