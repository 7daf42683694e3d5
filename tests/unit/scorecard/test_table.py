"""The terminal table: golden renderings of whole scorecards, and host text that cannot drive the terminal."""

from __future__ import annotations

import pytest

from deployctl.scorecard.model import ParityRow
from deployctl.scorecard.table import WIDTHS, parity_lines, printable, render_table, verdict_summary
from tests.unit.scorecard.conftest import CASES, load_card

TABLES = CASES / "table"


@pytest.mark.parametrize("name", sorted(p.stem for p in TABLES.glob("*.txt")))
def test_a_scorecard_renders_as_its_golden_table(name: str) -> None:
    assert render_table(load_card(name)) == (TABLES / f"{name}.txt").read_text()


def test_every_card_of_the_cases_has_a_golden_table() -> None:
    assert {p.stem for p in CASES.glob("*.json")} == {p.stem for p in TABLES.glob("*.txt")}


def test_host_text_reaches_the_terminal_without_control_characters() -> None:
    text = render_table(load_card("hostile"))
    assert not [c for c in text if not c.isprintable() and c != "\n"]
    assert "\\x1b[31mred" in text and "line one\\nline two\\x07" in text


def test_a_wrapped_cell_stays_within_its_column() -> None:
    card = load_card("lab-webapp")
    lines = render_table(card).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("CLAIM"))
    end = lines.index("", start)
    body = [line for line in lines[start:end] if not line.startswith("    ")]
    assert len(body) > len(card.rows) + 1, "some cells of the lab's card wrap"
    assert max(len(line) for line in body) <= sum(WIDTHS) + 2 * (len(WIDTHS) - 1)


def test_every_claim_and_every_detail_is_in_the_table_in_order() -> None:
    card = load_card("lab-webapp")
    flat = " ".join(render_table(card).split())
    positions = [flat.index(" ".join(row.claim.split()[:3])) for row in card.rows]
    assert positions == sorted(positions)
    for row in card.rows:
        for item in (*row.mutable.detail, *row.immutable.detail):
            assert item in flat


def test_the_parity_summary_counts_each_verdict_and_lists_the_accidents() -> None:
    rows = (
        ParityRow("image digest", "immutable", {"dev": "a", "qa": "a"}, "identical"),
        ParityRow("nginx", "mutable", {"dev": "1", "qa": "2"}, "differs by accident", "apt on another day"),
        ParityRow("conf", "mutable", {"dev": "x", "qa": "y"}, "differs by accident"),
    )
    assert verdict_summary(rows) == "1 identical, 0 differ by design, 2 differ by accident"
    assert parity_lines(rows) == [
        "parity across stages (dev, qa): 1 identical, 0 differ by design, 2 differ by accident",
        "  by accident: nginx [mutable]: dev 1, qa 2 (apt on another day)",
        "  by accident: conf [mutable]: dev x, qa y",
    ]


def test_printable_keeps_text_and_shows_control_characters_as_escapes() -> None:
    assert printable("qa-vm1 ünïcode") == "qa-vm1 ünïcode"
    assert printable("a\x1b[2Jb\rc") == "a\\x1b[2Jb\\rc"
