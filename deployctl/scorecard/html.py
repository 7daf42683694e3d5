"""The scorecard as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from deployctl.scorecard.model import Figure, ParityRow, ParityVerdict, Scorecard, ScoreRow, Series
from deployctl.scorecard.svg import Bar, bar_chart, esc
from deployctl.scorecard.table import stages_of, verdict_summary
from deployctl.scorecard.units import format_figure, format_value, is_numeric, plain_number

VERDICT_CLASS: dict[ParityVerdict, str] = {
    "identical": "identical",
    "differs by design": "design",
    "differs by accident": "accident",
}
STRATEGY_LABEL = {"mutable": "mutable (VMs)", "immutable": "immutable (containers)"}

_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; script-src 'none'"
"""The page's content security policy: nothing may be fetched, nothing may run."""

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1d2330; max-width: 1100px; }
h1 { font-size: 22px; margin: 0 0 8px; } h2 { font-size: 17px; margin: 28px 0 8px; }
dl#run { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; color: #4a5162; }
dl#run dt { font-weight: 600; } dl#run dd { margin: 0; }
table { border-collapse: collapse; } th, td { border: 1px solid #d5d9e0; padding: 4px 8px; text-align: left;
  vertical-align: top; } th { background: #eef1f5; }
td.figure { white-space: nowrap; font-variant-numeric: tabular-nums; } td.unmeasured { color: #8a6d00;
  white-space: normal; font-style: italic; } tr.detail td { background: #fafbfc; font-size: 12px; }
tr.detail ul { margin: 0; padding-left: 18px; } code, td.fact { font-family: ui-monospace, monospace; font-size: 12px; }
.legend span { display: inline-block; padding: 0 8px; margin-right: 8px; border-radius: 3px; color: #fff; }
.legend .mutable, rect.mutable { background: #c2570c; fill: #c2570c; }
.legend .immutable, rect.immutable { background: #2166ac; fill: #2166ac; }
figure.chart { margin: 12px 0 20px; } figcaption { font-weight: 600; } figcaption .meta { font-weight: 400;
  color: #5a6172; display: block; } svg.chart text { font-size: 12px; fill: #1d2330; }
svg.chart text.group { font-weight: 600; } svg.chart text.unmeasured { fill: #8a6d00; font-style: italic; }
svg.chart line.axis { stroke: #9aa0ab; }
td.identical { background: #c8e6c9; } td.design { background: #cfe3f7; } td.accident { background: #ffd7a8; }
td.accident.odd { background: #ff8a80; } td.none { background: #f4f5f7; color: #9aa0ab; }
dl.methods dt { font-weight: 600; margin-top: 8px; } dl.methods dd { margin-left: 16px; }
"""


def _head(card: Scorecard) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">'
        f"<title>deployctl compare: {esc(card.stage)}, {esc(card.from_release)} to {esc(card.to_release)}</title>"
        f"<style>{_CSS}</style></head><body>"
    )


def _run(card: Scorecard) -> str:
    """The header: what was compared, when, where and how long it took."""
    return (
        f'<h1>Mutable or immutable: stage <span id="stage">{esc(card.stage)}</span></h1><dl id="run">'
        f"<dt>releases</dt><dd>{esc(card.from_release)} &rarr; {esc(card.to_release)}</dd>"
        f'<dt>when</dt><dd><time id="started-at" datetime="{esc(card.started_at)}">{esc(card.started_at)}</time></dd>'
        f'<dt>machine</dt><dd id="machine">{esc(card.machine)}</dd>'
        f'<dt>duration</dt><dd id="duration">{esc(format_value(card.duration_s, "s"))}</dd></dl>'
    )


def _figure_cell(figure: Figure, strategy: str) -> str:
    measured = "figure" if figure.value is not None else "figure unmeasured"
    return f'<td class="{measured} {strategy}" title="{esc(figure.method)}">{esc(format_figure(figure))}</td>'


def _details(row: ScoreRow) -> str:
    items = [
        f"<li>{strategy}: {esc(item)}</li>"
        for strategy, figure in (("mutable", row.mutable), ("immutable", row.immutable))
        for item in figure.detail
    ]
    return f'<tr class="detail"><td colspan="5"><ul>{"".join(items)}</ul></td></tr>' if items else ""


def _scorecard_table(card: Scorecard) -> str:
    rows = "".join(
        f'<tr class="claim" id="row-{esc(row.key)}"><td>{esc(row.claim)}</td><td>{esc(row.measure)}</td>'
        f"{_figure_cell(row.mutable, 'mutable')}{_figure_cell(row.immutable, 'immutable')}"
        f"<td>{esc(row.note)}</td></tr>{_details(row)}"
        for row in card.rows
    )
    return (
        '<h2>The scorecard</h2><table id="scorecard"><thead><tr><th>claim</th><th>measure</th>'
        f"<th>{STRATEGY_LABEL['mutable']}</th><th>{STRATEGY_LABEL['immutable']}</th><th>note</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def ratio_text(mutable: float | None, immutable: float | None) -> str:
    """How many times one strategy's figure is the other's, when both are positive; "" otherwise."""
    if mutable is None or immutable is None or mutable <= 0 or immutable <= 0:
        return ""
    if mutable >= immutable:
        return f"mutable is {plain_number(mutable / immutable)}\u00d7 immutable"
    return f"immutable is {plain_number(immutable / mutable)}\u00d7 mutable"


def chartable(row: ScoreRow) -> bool:
    """A row gets a chart when a figure has a number and both figures share a unit (one scale)."""
    return (is_numeric(row.mutable) or is_numeric(row.immutable)) and row.mutable.unit == row.immutable.unit


def row_bars(row: ScoreRow) -> list[Bar]:
    """The row's two figures as bars, mutable first."""
    return [
        Bar(STRATEGY_LABEL[strategy], figure.value, format_figure(figure), strategy)
        for strategy, figure in (("mutable", row.mutable), ("immutable", row.immutable))
    ]


def series_bars(series: Series) -> list[Bar]:
    """One bar per target, grouped by strategy, mutable first."""
    return [
        Bar(name, value, format_value(value, series.unit), strategy, group=STRATEGY_LABEL[strategy])
        for strategy in ("mutable", "immutable")
        for name, value in series.points.get(strategy, ())
    ]


def _row_chart(row: ScoreRow) -> str:
    ratio = ratio_text(row.mutable.value, row.immutable.value)
    meta = esc(row.measure) + (f"; {esc(ratio)}" if ratio else "")
    return (
        f'<figure class="chart row-chart" id="chart-{esc(row.key)}"><figcaption>{esc(row.claim)}'
        f'<span class="meta">{meta}</span></figcaption>{bar_chart(row_bars(row), row.claim)}</figure>'
    )


def _series_chart(series: Series) -> str:
    bars = series_bars(series)
    body = bar_chart(bars, series.title) if bars else '<p class="meta">no per-target values</p>'
    return (
        f'<figure class="chart series-chart" id="series-{esc(series.key)}"><figcaption>{esc(series.title)}'
        f'<span class="meta">{esc(series.unit)}; {esc(series.method)}</span></figcaption>{body}</figure>'
    )


def _charts(card: Scorecard) -> str:
    rows = "".join(_row_chart(row) for row in card.rows if chartable(row))
    series = "".join(_series_chart(s) for s in card.series)
    legend = '<p class="legend">' + "".join(f'<span class="{s}">{label}</span>' for s, label in STRATEGY_LABEL.items())
    legend += "</p>"
    return f'<h2>Side by side</h2>{legend}<div id="row-charts">{rows}</div>' + (
        f'<h2>Per target</h2><div id="series-charts">{series}</div>' if card.series else ""
    )


def _parity_cell(row: ParityRow, stage: str, common: str) -> str:
    if stage not in row.values:
        return '<td class="none">-</td>'
    value = row.values[stage]
    odd = " odd" if row.verdict == "differs by accident" and value != common else ""
    return f'<td class="{VERDICT_CLASS[row.verdict]}{odd}">{esc(value)}</td>'


def _parity_row(row: ParityRow, stages: Sequence[str]) -> str:
    counts = Counter(row.values.values())
    common = min(counts, key=lambda v: (-counts[v], v)) if counts else ""
    cells = "".join(_parity_cell(row, stage, common) for stage in stages)
    return (
        f'<tr class="parity {VERDICT_CLASS[row.verdict]}"><td class="fact">{esc(row.fact)}</td>'
        f"<td>{esc(row.strategy)}</td>{cells}<td>{esc(row.verdict)}</td><td>{esc(row.reason)}</td></tr>"
    )


def _parity(card: Scorecard) -> str:
    if not card.parity:
        return '<h2>Sameness across stages</h2><p id="parity-summary">No fact compared.</p>'
    stages = stages_of(card.parity)
    accidents = "".join(
        f"<li>{esc(row.fact)} ({esc(row.strategy)}){': ' + esc(row.reason) if row.reason else ''}</li>"
        for row in card.parity
        if row.verdict == "differs by accident"
    )
    head = "".join(f"<th>{esc(stage)}</th>" for stage in stages)
    body = "".join(_parity_row(row, stages) for row in card.parity)
    return (
        f'<h2>Sameness across stages</h2><p id="parity-summary">{esc(verdict_summary(card.parity))}</p>'
        + (f'<ul id="accidents">{accidents}</ul>' if accidents else "")
        + f'<table id="parity"><thead><tr><th>fact</th><th>strategy</th>{head}<th>verdict</th><th>reason</th></tr>'
        f"</thead><tbody>{body}</tbody></table>"
    )


def _methods(card: Scorecard) -> str:
    """How each figure was measured: the row's two methods, each series' method."""
    rows = "".join(
        f"<dt>{esc(row.claim)}</dt>"
        f"<dd>mutable ({esc(row.mutable.unit)}): {esc(row.mutable.method)}</dd>"
        f"<dd>immutable ({esc(row.immutable.unit)}): {esc(row.immutable.method)}</dd>"
        for row in card.rows
    )
    series = "".join(f"<dt>{esc(s.title)}</dt><dd>{esc(s.unit)}: {esc(s.method)}</dd>" for s in card.series)
    return f'<h2>How each figure was measured</h2><dl class="methods" id="methods">{rows}{series}</dl>'


def render_html(card: Scorecard) -> str:
    """The report: header, scorecard table, a chart per row and per series, the parity matrix, the methods."""
    return (
        _head(card)
        + _run(card)
        + _scorecard_table(card)
        + _charts(card)
        + _parity(card)
        + _methods(card)
        + "</body></html>\n"
    )
