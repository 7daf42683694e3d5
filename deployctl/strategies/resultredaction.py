"""What one task's results may show on one host: `no_log`, `diff:` and the redaction of its variables' secrets."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from deployctl.booleans import parse_bool
from deployctl.redaction import NO_LOG_TEXT, RedactionRules, Redactor, secret_values
from deployctl.strategies.results import TaskResult


@dataclass(frozen=True)
class ResultRedaction:
    """What one task's results may show on one host: all of it redacted, no diff (`diff: false`), or
    nothing but the task's name and status (`no_log`, with Ansible's text in place of its output)."""

    no_log: bool
    diff: bool
    redactor: Redactor

    def apply(self, result: TaskResult) -> TaskResult:
        """The result as the terminal, JSON, reports and the ledger get it (`register` keeps the real one)."""
        if self.no_log:
            return replace(result, message=NO_LOG_TEXT, diffs=(), output={"censored": NO_LOG_TEXT})
        redact = self.redactor
        return replace(
            result,
            task=redact.text(result.task),
            message=redact.text(result.message),
            diffs=tuple(redact.diff(diff) for diff in result.diffs) if self.diff else (),
            output=redact.data(result.output),
        )


def result_redaction(
    no_log: bool | str,
    diff: bool | str,
    variables: Mapping[str, Any],
    rules: RedactionRules,
    render: Callable[[Any], Any],
) -> ResultRedaction:
    """How one task's results are shown on one host: its `no_log` and `diff` rendered (a template that
    cannot be rendered hides: no_log on, no diff), and a Redactor of its variables' secret values."""
    hidden = parse_bool(render(no_log)) is not False
    with_diff = parse_bool(render(diff)) is True
    return ResultRedaction(hidden, with_diff, Redactor.of(secret_values(variables, rules, render), rules))
