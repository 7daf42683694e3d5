"""A first apply in few round trips: changes held back and run in one script, results still per task (local)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from deployctl.facts.base import Fact
from deployctl.facts.files import FileFact, FileInfo
from deployctl.model.connection import SshEndpoint
from deployctl.model.loading.plays import load_playbook
from deployctl.modules.base import Module, OneOf, Param, Plan, RunCommand, no_change
from deployctl.modules.registry import MODULES
from deployctl.strategies.hostrun import RunOptions
from deployctl.strategies.mutable import apply_playbook
from deployctl.strategies.results import RunResult
from deployctl.transport.local import LocalTransport
from tests.unit.strategies.test_apply_local import make_project, run

WORKLOAD = """\
- hosts: all
  vars:
    greeting: hello
  tasks:
    - name: app dir
      file: path={{ root }}/opt/app state=directory owner=root group=root mode=0755
    - name: conf dir
      file: path={{ root }}/etc/app state=directory owner=root group=root mode=0750
    - name: log dir
      file: path={{ root }}/log/app state=directory owner=root group=root mode=0750
    - name: config
      template: src=app.conf.j2 dest={{ root }}/etc/app/app.conf owner=root group=root mode=0640
    - name: script
      copy: src=run.sh dest={{ root }}/opt/app/run.sh owner=root group=root mode=0755
    - name: stage
      lineinfile: path={{ root }}/etc/app/app.env regexp=^STAGE= line=STAGE=test create=true
    - name: workers
      lineinfile: path={{ root }}/etc/app/app.env regexp=^WORKERS= line=WORKERS=4 create=true
    - name: init
      command: touch {{ root }}/opt/app/.init
      args:
        creates: "{{ root }}/opt/app/.init"
"""

TASKS = ["app dir", "conf dir", "log dir", "config", "script", "stage", "workers", "init"]


def outcomes(result: RunResult) -> list[tuple[str, str]]:
    return [(r.task, r.status) for r in result.results]


def test_a_first_apply_takes_at_most_three_round_trips_and_reports_every_task(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path, playbook=WORKLOAD)
    target = tmp_path / "target"
    first = run(root, inventory)
    assert outcomes(first) == [(task, "changed") for task in TASKS]
    # the play's facts; the changes up to `stage` with app.env read again (its mode is the host's umask's);
    # `workers` and `init`
    assert first.round_trips <= 3
    assert (target / "etc" / "app" / "app.conf").read_text() == "greeting=hello\nhost=local1\n"
    assert oct((target / "etc" / "app" / "app.conf").stat().st_mode & 0o777) == "0o640"
    assert oct((target / "etc" / "app").stat().st_mode & 0o777) == "0o750"
    assert (target / "etc" / "app" / "app.env").read_text() == "STAGE=test\nWORKERS=4\n"
    assert (target / "opt" / "app" / ".init").exists()
    second = run(root, inventory)
    assert second.recap["local1"].changed == 0 and second.recap["local1"].failed == 0
    assert second.round_trips == 1


def test_a_failure_in_the_middle_of_a_batch_reports_what_ran_and_stops_there(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path, playbook=WORKLOAD)
    target = tmp_path / "target"
    (target / "log").write_text("a file where the log folder's parent should be\n")
    first = run(root, inventory)
    assert outcomes(first) == [("app dir", "changed"), ("conf dir", "changed"), ("log dir", "failed")]
    failed = first.results[-1]
    assert failed.message.startswith(f"create directory {target}/log/app: exit 1: mkdir: ")
    assert "Not a directory" in failed.message
    assert first.exit_code == 2
    assert (target / "etc" / "app").is_dir() and not (target / "etc" / "app" / "app.conf").exists()
    assert first.round_trips == 2  # the play's facts; the held-back changes, stopped at the failure

    (target / "log").unlink()
    second = run(root, inventory)  # the facts are read again: what the first apply did is not redone
    assert outcomes(second) == [(task, "ok" if task in ("app dir", "conf dir") else "changed") for task in TASKS]
    assert second.round_trips <= 3


FAILING_COMMAND = """\
- hosts: all
  tasks:
    - name: marker
      copy: content="one\\n" dest={{ root }}/one owner=root group=root mode=0644
    - name: breaks
      shell: echo to stdout; echo why it broke >&2; exit 3
      args:
        creates: "{{ root }}/never"
    - name: not run
      copy: content="two\\n" dest={{ root }}/two
"""


def test_a_command_failing_in_a_batch_gives_its_exit_code_and_output(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path, playbook=FAILING_COMMAND)
    result = run(root, inventory)
    assert outcomes(result) == [("marker", "changed"), ("breaks", "failed")]
    broken = result.results[1]
    assert broken.message == "non-zero return code 3: why it broke"
    assert broken.output["rc"] == 3
    assert broken.output["stdout"] == "to stdout"
    assert broken.output["stderr"] == "why it broke"
    assert (tmp_path / "target" / "one").read_text() == "one\n"
    assert not (tmp_path / "target" / "two").exists()
    assert result.round_trips == 2


SECRET = """\
- hosts: all
  vars:
    token: s3cr3t-value
  tasks:
    - name: secret file
      copy: content="{{ token }}\\n" dest={{ root }}/secret owner=root group=root mode=0600
      no_log: true
    - name: after it
      copy: content="plain\\n" dest={{ root }}/plain owner=root group=root mode=0644
"""


def test_a_secret_held_back_in_a_batch_never_reaches_the_results(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path, playbook=SECRET)
    result = run(root, inventory, diff=True)
    assert outcomes(result) == [("secret file", "changed"), ("after it", "changed")]
    assert "s3cr3t-value" not in repr(result.results)
    assert (tmp_path / "target" / "secret").read_text() == "s3cr3t-value\n"
    assert result.round_trips == 2


def test_check_mode_holds_nothing_back_and_changes_nothing(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path, playbook=WORKLOAD)
    check = run(root, inventory, check=True, diff=True)
    assert [status for _, status in outcomes(check)][:3] == ["changed", "changed", "changed"]
    assert list((tmp_path / "target").iterdir()) == []
    assert check.round_trips == 1


ALWAYS = """\
- hosts: all
  tasks:
    - block:
        - name: held back
          FIRST
        - name: after it
          copy: content="y\\n" dest={{ root }}/y
      always:
        - name: cleanup
          copy: content="z\\n" dest={{ root }}/z
"""


@pytest.mark.parametrize(
    "first",
    [
        "file: path={{ root }}/missing/x state=directory",  # fails when the batch runs
        'copy: content="x\\n" dest={{ root }}/missing/x',  # fails when planned, the batch before it runs
    ],
)
def test_a_failure_in_a_block_still_runs_its_always_section(tmp_path: Path, first: str) -> None:
    root, inventory = make_project(tmp_path, playbook=ALWAYS.replace("FIRST", first))
    (tmp_path / "target" / "missing").write_text("a file, not a folder\n")
    result = run(root, inventory)
    assert outcomes(result) == [("held back", "failed"), ("cleanup", "changed")]
    assert result.exit_code == 2
    assert not (tmp_path / "target" / "y").exists()
    assert (tmp_path / "target" / "z").read_text() == "z\n"


def _touch_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    return [FileFact(params["path"])]


def _touch_plan(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """A file the host gives a mode of its choosing: what the plan leaves is known but for the mode."""
    path = params["path"]
    if facts[f"file:{path}"].exists:
        return no_change(f"{path} exists")
    empty = hashlib.sha256(b"").hexdigest()
    kinds = [FileInfo(path, "file", mode="0644", owner="root", group="root", size=0, sha256=empty, content=b"")]
    kinds.append(replace(kinds[0], mode="0600"))
    return Plan(
        changed=True,
        summary=f"touch {path}",
        actions=(RunCommand(("touch", "--", path)),),
        invalidates=(f"file:{path}",),
        leaves={f"file:{path}": OneOf(tuple(kinds))},
    )


TOUCH = Module(
    name="touch_file",
    params={"path": Param("path", required=True)},
    facts=_touch_facts,
    plan=_touch_plan,
    effects_listed=True,
)

PARTLY_KNOWN = """\
- hosts: all
  tasks:
    - name: made
      touch_file: path={{ root }}/made
    - name: then
      file: path={{ root }}/made state=file SECOND
"""


@pytest.mark.parametrize(
    ("second", "status", "round_trips"),
    [
        ("", "ok", 2),  # the same plan whatever the mode: planned on what the change left; facts, then the batch
        ("mode=0600", "changed", 3),  # depends on the mode: read with the batch, then its own change
    ],
)
def test_a_fact_known_in_part_is_read_only_when_the_plan_depends_on_the_unknown_part(
    tmp_path: Path, second: str, status: str, round_trips: int
) -> None:
    modules = {**MODULES, "touch_file": TOUCH}
    root, inventory = make_project(tmp_path, playbook=PARTLY_KNOWN.replace("SECOND", second))
    result = apply_playbook(
        load_playbook(root / "playbooks" / "site.yml", display="playbooks/site.yml", modules=modules),
        inventory,
        {name: SshEndpoint(name, "127.0.0.1") for name in inventory.hosts},
        RunOptions(),
        transport_factory=lambda endpoint: LocalTransport(endpoint.name),
        modules=modules,
    )
    assert outcomes(result) == [("made", "changed"), ("then", status)]
    assert result.round_trips == round_trips
