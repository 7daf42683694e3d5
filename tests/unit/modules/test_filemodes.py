"""Symbolic modes resolve as ansible-core's own `_symbolic_mode_to_octal` resolves them, bit for bit."""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Iterator

import pytest
from ansible.module_utils.basic import AnsibleModule

from deployctl.modules.filemodes import apply_symbolic_mode, created_mode, symbolic_mode_problem

MODES = (
    "og-rwx", "go-w", "a-s", "u=rwX,g=rX,o=", "a+X", "+x", "=rw", "-w", "u+s,g+s,o+t", "o=t", "u=g", "g=u,o=g",
    "go=u-w", "a=rwx,o-x", "u-x+X", "ug+rwX", "a=", "o+r,o-r+w", "g+", "u=rwxs,g=rxs,o=rxt", "ugo-rwxst",
)  # fmt: skip
CURRENT = (0o000, 0o644, 0o755, 0o600, 0o4755, 0o2750, 0o1777, 0o100, 0o070, 0o6711)
UMASKS = (0o022, 0o077, 0o002, 0o000)


class _Stat:
    """The one field of os.stat_result that Ansible's resolution reads."""

    def __init__(self, mode: int) -> None:
        self.st_mode = mode


@pytest.fixture
def process_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("process_umask")
@pytest.mark.parametrize("mode", MODES)
def test_symbolic_mode_resolves_as_ansible(mode: str) -> None:
    for current, is_directory, umask in itertools.product(CURRENT, (False, True), UMASKS):
        os.umask(umask)
        kind = stat.S_IFDIR if is_directory else stat.S_IFREG
        expected = AnsibleModule._symbolic_mode_to_octal(_Stat(kind | current), mode)
        got = apply_symbolic_mode(mode, current, is_directory=is_directory, umask=umask)
        assert got == expected, f"{mode} on {current:04o} (dir={is_directory}, umask {umask:03o})"


@pytest.mark.usefixtures("process_umask")
@pytest.mark.parametrize("mode", ["u+q", "ua+x", "rwx", "x+w", "u=r,z-w"])
def test_modes_ansible_refuses_are_refused(mode: str) -> None:
    with pytest.raises(ValueError, match="bad symbolic permission"):
        AnsibleModule._symbolic_mode_to_octal(_Stat(stat.S_IFREG | 0o644), mode)
    assert symbolic_mode_problem(mode) is not None


def test_created_paths_start_from_the_umask() -> None:
    assert created_mode(is_directory=False, umask=0o022) == 0o644
    assert created_mode(is_directory=True, umask=0o027) == 0o750
