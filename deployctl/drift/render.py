"""Reports of a drift scan: JSON (the documented schema, docs/drift.md), table rows, HTML and JUnit XML (pure)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree

from deployctl.drift.model import SCHEMA, DriftItem, DriftReport, HostScan, ParityRow


def _item(item: DriftItem, ignored: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "stage": item.stage,
        "host": item.host,
        "target": item.target,
        "strategy": item.strategy,
        "kind": item.kind,
        "resource": item.resource,
        "expected": item.expected,
        "actual": item.actual,
    }
    if item.diff:
        data["diff"] = item.diff
    if ignored:
        data["rule"] = item.rule
        data["rule_source"] = item.rule_source
    return data


def _host(host: HostScan) -> dict[str, Any]:
    return {
        "stage": host.stage,
        "host": host.host,
        "target": host.target,
        "strategy": host.strategy,
        "inventory_host": host.inventory_host,
        "release": host.release,
        "status": host.status,
        "message": host.message,
        "items": len(host.items),
        "ignored": len(host.ignored),
    }


def _row(row: ParityRow) -> dict[str, Any]:
    return {
        "fact": row.fact,
        "kind": row.kind,
        "differs": row.differs,
        "values": {s: list(v) for s, v in row.values.items()},
    }


def report_json(report: DriftReport) -> dict[str, Any]:
    """The report as JSON data, schema `deployctl.drift/v1` (docs/drift.md)."""
    return {
        "schema": SCHEMA,
        "scan_id": report.scan_id,
        "scanned_at": report.scanned_at,
        "seconds": report.seconds,
        "stages": list(report.stages),
        "outcome": report.outcome,
        "exit_code": report.exit_code,
        "summary": {
            "hosts_scanned": len(report.hosts),
            "hosts_drifted": sum(1 for h in report.hosts if h.drifted),
            "hosts_failed": sum(1 for h in report.hosts if h.failed),
            "items": len(report.items),
            "ignored": len(report.ignored),
            "by_kind": report.by_kind(),
        },
        "hosts": [_host(h) for h in report.hosts],
        "items": [_item(i) for i in report.items],
        "ignored": {
            "rules": [{"rule": r.rule, "source": r.source, "count": r.count} for r in report.rule_counts()],
            "items": [_item(i, ignored=True) for i in report.ignored],
        },
        "parity": {"stages": list(report.parity.stages), "rows": [_row(r) for r in report.parity.rows]},
        "errors": list(report.errors),
    }


TABLE_COLUMNS = ("STAGE", "HOST", "KIND", "RESOURCE", "EXPECTED", "ACTUAL")


def summary_lines(report: DriftReport) -> list[str]:
    """The scan's summary: hosts scanned and drifted, items by kind, ignored items by rule, failures."""
    vms = sum(1 for h in report.hosts if h.target == "vm")
    lines = [
        f"drift scan of {', '.join(report.stages)} at {report.scanned_at} in {report.seconds:.2f} s: "
        f"{len(report.hosts)} scanned ({vms} VMs, {len(report.hosts) - vms} containers), "
        f"{sum(1 for h in report.hosts if h.drifted)} drifted, {len(report.items)} items",
    ]
    if report.items:
        lines.append("items by kind: " + ", ".join(f"{kind} {count}" for kind, count in report.by_kind().items()))
    counts = report.rule_counts()
    if counts:
        lines.append(
            f"ignored: {len(report.ignored)} items ("
            + "; ".join(f"{r.rule} [{r.source}]: {r.count}" for r in counts)
            + ")"
        )
    lines += [f"{h.stage}/{h.host}: {h.status}: {h.message}" for h in report.hosts if h.failed]
    lines += [f"{h.stage}/{h.host}: {h.message}" for h in report.hosts if h.message and not h.failed and h.drifted]
    return lines


def table_rows(report: DriftReport) -> list[list[str]]:
    """One row per drift item: stage, host or container, kind, resource, expected, actual."""
    return [[i.stage, i.host, i.kind, i.resource, i.expected, i.actual] for i in report.items]


def report_junit(report: DriftReport) -> str:
    """JUnit XML: a test suite per stage, a test case per host or container, failing where it drifted."""
    suites = ElementTree.Element("testsuites", name="deployctl drift", time=f"{report.seconds:.3f}")
    for stage in report.stages:
        hosts = [h for h in report.hosts if h.stage == stage]
        suite = ElementTree.SubElement(
            suites,
            "testsuite",
            name=f"drift.{stage}",
            tests=str(len(hosts)),
            failures=str(sum(1 for h in hosts if h.drifted)),
            errors=str(sum(1 for h in hosts if h.failed)),
            timestamp=report.scanned_at,
        )
        for host in hosts:
            case = ElementTree.SubElement(suite, "testcase", classname=f"drift.{stage}.{host.target}", name=host.host)
            if host.failed:
                ElementTree.SubElement(case, "error", message=f"{host.status}: {host.message}").text = host.message
            elif host.drifted:
                failure = ElementTree.SubElement(
                    case, "failure", message=f"{len(host.items)} drift items", type="drift"
                )
                failure.text = "\n".join(
                    f"{i.kind} {i.resource}: expected {i.expected}, actual {i.actual}" for i in host.items
                )
            if host.ignored:
                ElementTree.SubElement(case, "system-out").text = f"{len(host.ignored)} items ignored: " + "; ".join(
                    f"{i.kind} {i.resource} ({i.rule})" for i in host.ignored
                )
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"


_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2330; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.meta { color: #5a6172; } .badge { display: inline-block; padding: 2px 10px; border-radius: 10px; color: #fff; }
.clean { background: #2e7d32; } .drift { background: #c62828; } .error { background: #6a1b9a; }
table { border-collapse: collapse; } th, td { border: 1px solid #d5d9e0; padding: 4px 8px; text-align: left; }
th { background: #eef1f5; } td.fact { font-family: ui-monospace, monospace; font-size: 12px; }
td.same { background: #c8e6c9; } td.v0 { background: #fff3c4; } td.v1 { background: #ffd7a8; }
td.v2 { background: #ffb199; } td.v3 { background: #ff8a80; } td.mixed { background: #e53935; color: #fff; }
td.none { background: #f4f5f7; color: #9aa0ab; }
details { border: 1px solid #d5d9e0; border-radius: 6px; margin: 6px 0; padding: 6px 10px; }
details.drifted { border-left: 6px solid #c62828; } details.clean { border-left: 6px solid #2e7d32; }
details.failed { border-left: 6px solid #6a1b9a; } summary { cursor: pointer; font-weight: 600; }
pre { background: #f6f8fa; padding: 6px; overflow-x: auto; font-size: 12px; }
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _cell(row: ParityRow, stage: str, rank: dict[str, int]) -> str:
    values = row.values.get(stage, ())
    if not values:
        return '<td class="none">-</td>'
    shown = "<br>".join(_esc(v) for v in values)
    if len(values) > 1:
        return f'<td class="mixed" title="the hosts of {_esc(stage)} differ">{shown}</td>'
    if not row.differs:
        return f'<td class="same">{shown}</td>'
    return f'<td class="v{min(rank[values[0]], 3)}">{shown}</td>'


def _matrix(report: DriftReport) -> str:
    stages = report.parity.stages
    head = "".join(f"<th>{_esc(s)}</th>" for s in stages)
    rows = []
    for row in report.parity.rows:
        counts: dict[str, int] = {}
        for values in row.values.values():
            for value in values:
                counts[value] = counts.get(value, 0) + 1
        rank = {value: index for index, value in enumerate(sorted(counts, key=lambda v: (-counts[v], v)))}
        cells = "".join(_cell(row, stage, rank) for stage in stages)
        mark = "differs" if row.differs else "same"
        rows.append(f'<tr class="{mark}"><td class="fact">{_esc(row.fact)}</td>{cells}<td>{mark}</td></tr>')
    return (
        f'<table id="parity"><thead><tr><th>fact</th>{head}<th>parity</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _items_table(items: Sequence[DriftItem], ignored: bool) -> str:
    extra = "<th>rule</th>" if ignored else ""
    rows = "".join(
        f"<tr><td>{_esc(i.kind)}</td><td>{_esc(i.resource)}</td><td>{_esc(i.expected)}</td><td>{_esc(i.actual)}</td>"
        + (f"<td>{_esc(i.rule)} ({_esc(i.rule_source)})</td>" if ignored else "")
        + "</tr>"
        + (f'<tr><td colspan="4"><pre>{_esc(i.diff)}</pre></td></tr>' if i.diff else "")
        for i in items
    )
    return f"<table><tr><th>kind</th><th>resource</th><th>expected</th><th>actual</th>{extra}</tr>{rows}</table>"


def _host_details(host: HostScan) -> str:
    state = "failed" if host.failed else ("drifted" if host.drifted else "clean")
    body = f"<p>{_esc(host.message)}</p>" if host.message else ""
    if host.items:
        body += _items_table(host.items, ignored=False)
    if host.ignored:
        body += f"<p>{len(host.ignored)} items ignored:</p>" + _items_table(host.ignored, ignored=True)
    release = host.release or "none"
    return (
        f'<details class="{state}" id="host-{_esc(host.stage)}-{_esc(host.host)}"{" open" if host.drifted else ""}>'
        f"<summary>{_esc(host.stage)} / {_esc(host.host)} ({_esc(host.target)}, release {_esc(release)}): "
        f"{_esc(host.status)}, {len(host.items)} items, {len(host.ignored)} ignored</summary>{body}</details>"
    )


def report_html(report: DriftReport) -> str:
    """One self-contained HTML page (inline CSS, no script, no external asset): summary, heat map, hosts."""
    outcome = report.outcome
    summary = "".join(f"<li>{_esc(line)}</li>" for line in summary_lines(report))
    hosts = "".join(_host_details(h) for h in report.hosts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>deployctl drift: {_esc(', '.join(report.stages))}</title><style>{_CSS}</style></head><body>"
        f'<h1>Drift report <span class="badge {outcome}" id="outcome">{outcome}</span></h1>'
        f'<p class="meta">Scanned <time id="scanned-at" datetime="{_esc(report.scanned_at)}">'
        f"{_esc(report.scanned_at)}</time> in {report.seconds:.2f} s; stages {_esc(', '.join(report.stages))}; "
        f'scan {_esc(report.scan_id)}</p><ul id="summary">{summary}</ul>'
        '<h2>Environment parity</h2><p class="meta">Green: every stage has the same value. Warm colours: '
        "the stages differ (the most common value lightest). Red: the hosts within a stage differ.</p>"
        f'{_matrix(report)}<h2>Hosts and containers</h2><div id="hosts">{hosts}</div></body></html>\n'
    )
