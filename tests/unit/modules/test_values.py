"""Values that reach a command line or a line of a file: Debian package names, one-line values, accounts."""

from __future__ import annotations

import pytest

from deployctl.modules.values import account_problem, debian_package_problem, line_problem, sysctl_name_problem

ACCEPTED_PACKAGES = [
    "nginx",
    "g++",
    "libstdc++6",
    "python3.11",
    "xz-utils",
    "0ad",
    "libc6:amd64",
    "nginx=1.22.1-9",
    "nginx=1:1.22.1-9+deb12u1~bpo11",
    "nginx=1.22*",
    "nginx/bookworm-backports",
    " nginx ",
]
REFUSED_PACKAGES = [
    "-oDPkg::Pre-Invoke::=touch /tmp/pwned",
    "--allow-unauthenticated",
    "x",
    "Nginx",
    "+nginx",
    ".nginx",
    "nginx bash",
    "nginx\nbash",
    "nginx=",
    "nginx=1.0 -y",
    "nginx=-1",
    "nginx:",
    "nginx/",
    "nginx/-t",
    "nginx;id",
    "",
]


@pytest.mark.parametrize("name", ACCEPTED_PACKAGES)
def test_debian_package_names_and_ansible_forms_are_accepted(name: str) -> None:
    assert debian_package_problem(name) is None


@pytest.mark.parametrize("name", REFUSED_PACKAGES)
def test_anything_else_is_refused(name: str) -> None:
    problem = debian_package_problem(name)
    assert problem is not None and repr(name) in problem


def test_one_line_values() -> None:
    assert line_problem("4096 87380 6291456") is None
    expected = "must be one line, but '1\\nkernel.modprobe=/tmp/x' holds a newline"
    assert line_problem("1\nkernel.modprobe=/tmp/x") == expected
    assert line_problem("a\rb") is not None and line_problem("a\x00b") is not None


def test_accounts_and_kernel_parameter_names() -> None:
    for name in ("app", "www-data", "_apt", "0", "svc.account", "user$"):
        assert account_problem(name) is None, name
    for name in ("-oops", "", "a:b", "a,b", "a b", "a\nb", "../x"):
        assert account_problem(name) is not None, name
    for name in ("vm.swappiness", "net/ipv4/ip_forward", "net.ipv4.conf.eth-0.rp_filter"):
        assert sysctl_name_problem(name) is None, name
    for name in ("-p", "a=b", "a b", "a\nb", ""):
        assert sysctl_name_problem(name) is not None, name
