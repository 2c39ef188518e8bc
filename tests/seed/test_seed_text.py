from __future__ import annotations

import pytest

from virtcompat.catalogue.types import alias_key
from virtcompat.text import normalize_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ASUSTeK COMPUTER INC.", "asustek computer inc"),
        ("ASUSTeK Computer INC.", "asustek computer inc"),
        ("  GA-EX58-UD5 ", "ga ex58 ud5"),
        ("Gigabyte Technology Co., Ltd.", "gigabyte technology co ltd"),
        ("X8DTN+", "x8dtn"),
        ("ＤＱ４３ＡＰ", "dq43ap"),  # full-width DMI strings fold by NFKC
        ("M4A89GTD PRO/USB3", "m4a89gtd pro usb3"),
        ("", ""),
    ],
)
def test_normalize_name_folds_case_punctuation_and_spacing(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


def test_alias_key_includes_the_vendor() -> None:
    assert alias_key("Intel Corporation", "DQ43AP") == "intel corporation dq43ap"
    assert alias_key(None, "DQ43AP") == "dq43ap"


def test_parse_id_accepts_only_ascii_decimals_that_fit() -> None:
    from virtcompat.text import parse_id

    assert parse_id("42") == 42
    assert parse_id("³") is None
    assert parse_id("9" * 30) is None
    assert parse_id("dq43ap") is None
