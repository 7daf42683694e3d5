"""`deployctl apply --check` of a hostile playbook: the sandbox refuses it before any host is contacted, exit 4.

Checking an untrusted pull request must be safe: nothing the playbook's templates say runs on the controller.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.cli.test_apply_input import listener, project, run

__all__ = ["listener"]  # the fixture, used by name


POPEN = "('touch MARKER').read()"
HOSTILE = [
    (  # written out: refused when the playbook loads, though nothing reads it
        f'- hosts: all\n  vars:\n    x: "{{{{ cycler.__init__.__globals__.os.popen{POPEN} }}}}"\n  tasks: []\n',
        "site.yml:3: vars.x: refused by the template sandbox",
    ),
    (  # computed names: refused by the sandbox in the pre-run check, where the task reads it
        "- hosts: all\n  vars:\n    name: \"{{ '__in' ~ 'it__' }}\"\n"
        f"    x: \"{{{{ (cycler | attr(name) | attr('__glob' ~ 'als__')).os.popen{POPEN} }}}}\"\n"
        '  tasks:\n    - copy: content="{{ x }}" dest=/tmp/x\n',
        "site.yml:6: copy.content: refused by the template sandbox",
    ),
    ("- hosts: all\n  tasks:\n    - template: src=evil.j2 dest=/tmp/x\n", "evil.j2:2: refused by the template sandbox"),
    (
        f"- hosts: all\n  tasks:\n    - debug: msg=hi\n      when: \"lipsum['__glob' ~ 'als__'].os.popen{POPEN}\"\n",
        "site.yml:4: when: refused by the template sandbox",
    ),
    (  # an object deployctl passes along: its methods (a Path's write_text) are not the template's
        "- hosts: all\n  tasks:\n    - copy:\n        dest: /tmp/x\n"
        "        content: \"{{ __deployctl_lookup_site__.candidates('MARKER')[0].write_text('x') }}\"\n",
        "site.yml:5: copy.content: refused by the template sandbox",
    ),
    (
        "- hosts: all\n  tasks:\n    - debug: var=lipsum.__globals__\n",
        "site.yml:3: debug.var: refused by the template sandbox",
    ),
]


@pytest.mark.parametrize(("playbook", "where"), HOSTILE, ids=[str(i) for i in range(len(HOSTILE))])
def test_check_of_a_hostile_playbook_runs_nothing_and_exits_4(
    tmp_path: Path, listener: tuple[int, list[object]], capsys: pytest.CaptureFixture[str], playbook: str, where: str
) -> None:
    port, accepted = listener
    marker = tmp_path / "PWNED"
    (tmp_path / "p").mkdir()
    root = project(tmp_path / "p", port, playbook.replace("MARKER", str(marker)))
    evil = "ok\n{{ (joiner | attr('__in' ~ 'it__')).__globals__.os.popen" + POPEN + " }}\n"
    (root / "evil.j2").write_text(evil.replace("MARKER", str(marker)))
    code, err = run(["--project", str(root), "apply", str(root / "site.yml"), "--stage", "dev", "--check"], capsys)
    assert code == 4, err
    assert err.startswith("deployctl: error: ")
    assert where in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not marker.exists()
    assert accepted == []
