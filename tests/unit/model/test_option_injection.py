"""Values that would become an option or a second line are refused at load time when literal (file, line, field)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.errors import InputError
from deployctl.model.loading.plays import load_playbook

CASES = [
    (
        "- hosts: all\n  tasks:\n    - apt:\n        name:\n          - nginx\n          - -oDPkg::Pre-Invoke::=id\n",
        "site.yml:4: apt.name: '-oDPkg::Pre-Invoke::=id' is not a Debian package name",
    ),
    ("- hosts: all\n  tasks:\n    - package: name=--force-yes\n", "site.yml:3: apt.name: '--force-yes' is not"),
    (
        "- hosts: all\n  tasks:\n    - sysctl:\n        name: vm.swappiness\n"
        '        value: "10\\nkernel.modprobe=/x"\n',
        "site.yml:5: sysctl.value: must be one line, but '10\\nkernel.modprobe=/x' holds a newline",
    ),
    (
        '- hosts: all\n  tasks:\n    - lineinfile:\n        path: /etc/sudoers\n        line: "a\\nb ALL=(ALL) ALL"\n',
        "site.yml:5: lineinfile.line: must be one line",
    ),
    ("- hosts: all\n  tasks:\n    - user: name=-r\n", "site.yml:3: user.name: '-r' is not a valid user or group name"),
    ("- hosts: all\n  tasks:\n    - service: name=--now state=started\n", "site.yml:3: service.name: '--now' is not"),
]


@pytest.mark.parametrize(("playbook", "message"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_literal_values_are_refused_with_file_line_and_field(tmp_path: Path, playbook: str, message: str) -> None:
    (tmp_path / "site.yml").write_text(playbook)
    with pytest.raises(InputError) as refused:
        load_playbook(tmp_path / "site.yml", display="site.yml")
    assert message in str(refused.value)


def test_templated_values_wait_for_the_run(tmp_path: Path) -> None:
    (tmp_path / "site.yml").write_text(
        "- hosts: all\n  tasks:\n    - apt:\n        name: ['{{ pkg }}', nginx]\n"
        "    - sysctl: name=vm.swappiness value='{{ swappiness }}'\n"
    )
    load_playbook(tmp_path / "site.yml", display="site.yml")
