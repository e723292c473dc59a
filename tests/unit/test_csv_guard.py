"""Free text in the CSV export never starts a spreadsheet formula."""

import pytest

from ivr.calllog.export import _cell


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        " =HYPERLINK(evil)",
        "\n=HYPERLINK(evil)",
        "\r=1",
        "\t=1",
        "＝HYPERLINK(evil)",
        "＋1",
        "－1",
        "＠SUM(A1)",
    ],
)
def test_a_formula_looking_free_text_cell_is_kept_as_text(text):
    assert _cell(text, free_text=True) == "'" + text


@pytest.mark.parametrize("text", ["Ann Lee", "O'Brien", "", "1 = 1"])
def test_plain_free_text_is_left_alone(text):
    assert _cell(text, free_text=True) == text


def test_columns_that_are_not_free_text_are_left_alone():
    assert _cell("-5", free_text=False) == "-5"
