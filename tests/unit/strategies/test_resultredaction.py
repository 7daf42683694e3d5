"""What a task's results show: `no_log` and `diff:` rendered per host, and its secret values redacted."""

from __future__ import annotations

from deployctl.modules.base import Diff
from deployctl.redaction import NO_LOG_TEXT, REDACTED, RedactionRules, Redactor
from deployctl.strategies.resultredaction import ResultRedaction, result_redaction
from deployctl.strategies.results import TaskResult


def test_no_log_and_diff_templates_that_cannot_render_hide() -> None:
    unrendered = result_redaction("{{ nope }}", "{{ nope }}", {}, RedactionRules(), lambda value: value)
    assert unrendered.no_log and not unrendered.diff
    rendered = result_redaction("{{ x }}", "{{ y }}", {}, RedactionRules(), {"{{ x }}": "no", "{{ y }}": "yes"}.get)
    assert not rendered.no_log and rendered.diff


def test_a_result_shows_nothing_with_no_log_and_no_diff_with_diff_false() -> None:
    result = TaskResult(
        "h1", "play", "task", "copy", "changed", "wrote hunter2-long", "site.yml:3",
        diffs=(Diff("/etc/a", "", "hunter2-long"),), output={"msg": "hunter2-long"},
    )  # fmt: skip
    redactor = Redactor.of({"hunter2-long"}, RedactionRules())
    hidden = ResultRedaction(True, True, redactor).apply(result)
    assert (hidden.task, hidden.message, hidden.diffs, hidden.output) == (
        "task",
        NO_LOG_TEXT,
        (),
        {"censored": NO_LOG_TEXT},
    )
    plain = ResultRedaction(False, False, redactor).apply(result)
    assert (plain.message, plain.diffs, plain.output) == (f"wrote {REDACTED}", (), {"msg": REDACTED})
