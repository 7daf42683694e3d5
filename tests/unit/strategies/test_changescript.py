"""The batch script: changes in order, the first failure stops the rest, each change's result parsed back."""

from __future__ import annotations

import subprocess
from pathlib import Path

from deployctl.modules.base import PutFile, RunCommand
from deployctl.strategies.actions import INLINE_LIMIT, Step, compose_steps
from deployctl.strategies.changescript import RUNNER, BatchedChange, ChangeResult, change_script


def run_batch(changes: list[BatchedChange], then: str = "") -> tuple[list[ChangeResult], str]:
    script = change_script(changes, then)
    done = subprocess.run(RUNNER, input=script.script.encode(), capture_output=True, check=False)
    return script.split(done.stdout.decode())


def test_each_change_reports_its_exit_code_and_output_and_the_first_failure_stops_the_rest(tmp_path: Path) -> None:
    results, after = run_batch(
        [
            BatchedChange((Step(("sh", "-c", "echo out; echo err >&2")),)),
            BatchedChange((Step(("sh", "-c", "echo before; exit 4")), Step(("touch", str(tmp_path / "skipped"))))),
            BatchedChange((Step(("touch", str(tmp_path / "never"))),)),
        ],
        then="echo facts",
    )
    assert results == [ChangeResult(0, "out\n", "err\n"), ChangeResult(4, "before\n", "")]
    assert after == ""  # the facts are read only when every change succeeded
    assert not (tmp_path / "skipped").exists() and not (tmp_path / "never").exists()


def test_a_command_like_change_runs_every_step_and_reports_the_last() -> None:
    change = BatchedChange((Step(("false",)), Step(("sh", "-c", "echo last"))), captures_output=True)
    results, _ = run_batch([change])
    assert results == [ChangeResult(0, "last\n", "")]


def test_files_large_and_small_and_stdin_reach_their_steps_and_the_facts_follow(tmp_path: Path) -> None:
    big = bytes(range(256)) * (INLINE_LIMIT // 128)
    steps = compose_steps(
        [
            PutFile(str(tmp_path / "small"), b"it's $HOME `id`\n", "0600"),
            PutFile(str(tmp_path / "big"), big, "0644"),
            RunCommand(("sh", "-c", f"cat > {tmp_path / 'piped'}"), stdin=b"from stdin\n"),
        ]
    )
    results, after = run_batch([BatchedChange(tuple(steps))], then="echo facts here")
    assert [result.exit_code for result in results] == [0]
    assert (tmp_path / "small").read_bytes() == b"it's $HOME `id`\n"
    assert (tmp_path / "big").read_bytes() == big
    assert (tmp_path / "piped").read_bytes() == b"from stdin\n"
    assert oct((tmp_path / "small").stat().st_mode & 0o777) == "0o600"
    assert after.strip() == "facts here"


def test_a_batch_cut_short_reports_only_what_ran() -> None:
    script = change_script([BatchedChange((Step(("true",)),)), BatchedChange((Step(("true",)),))])
    done = subprocess.run(RUNNER, input=script.script.encode(), capture_output=True, check=False)
    whole = done.stdout.decode()
    cut = whole[: whole.index(f"\n{script.marker} 1 rc=")]
    results, after = script.split(cut)
    assert results == [ChangeResult(0, "", "")] and after == ""
