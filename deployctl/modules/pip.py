"""pip: install, upgrade or remove Python packages, in the system or in a virtualenv, as Ansible's pip module.

- The pip is `python3 -m pip` (as Ansible runs the pip of its interpreter), `executable`, or the
  virtualenv's `bin/pip3`. A `virtualenv` without `bin/activate` is created first with
  `virtualenv_command` (with `-p` of `virtualenv_python` or /usr/bin/python3, unless it is `python3 -m
  venv`; `--system-site-packages` with `virtualenv_site_packages`).
- `state: present` with names changes only when a named distribution is missing or its installed
  version does not satisfy the specifier (`name: ['django>=4,<5']`, or `version` for one name), read
  from `pip list`; `absent` when one is installed. `latest`, `requirements`, `extra_args` and
  `editable` are predicted by `pip install --dry-run --report` (what it would install); when that
  cannot run (old pip, unreachable index) the install runs and counts as a change.
  `forcereinstall` reinstalls every time (a change on every run, as in Ansible).
- `break_system_packages` sets PIP_BREAK_SYSTEM_PACKAGES=1 (Debian 12 refuses system-wide installs
  without it, for Ansible as well).
Result: cmd, name, version, state, requirements, virtualenv. Not supported (refused): umask.
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from deployctl.facts.base import Fact
from deployctl.facts.files import PathExistsFact
from deployctl.facts.pip import PipDryRunFact, PipPackagesFact, canonical_name
from deployctl.modules.base import Action, Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.command import CHDIR_SCRIPT
from deployctl.modules.planning import failed, join_path
from deployctl.modules.values import line_problem

STATE_ARGS = {
    "present": ("install",),
    "absent": ("uninstall", "-y"),
    "latest": ("install", "-U"),
    "forcereinstall": ("install", "-U", "--force-reinstall"),
}
_SPECIFIER_OPERATORS = ("<", ">", "=", "!", "~")
_VCS = re.compile(r"(svn|git|hg|bzr)\+")


def requirement_problem(value: str) -> str | None:
    """A package name or requirement: one line that pip cannot take as an option."""
    if value.lstrip().startswith("-"):
        return f"{value!r} is not a package name (it would be a pip option); put options in extra_args"
    return line_problem(value)


PIP_PARAMS: Mapping[str, Param] = {
    "name": Param("list", check=requirement_problem),
    "version": Param("str", check=line_problem),
    "requirements": Param("str", check=requirement_problem),
    "state": Param("str", default="present", choices=tuple(STATE_ARGS)),
    "virtualenv": Param("path"),
    "virtualenv_site_packages": Param("bool", default=False),
    "virtualenv_command": Param("path", default="virtualenv"),
    "virtualenv_python": Param("str"),
    "extra_args": Param("str"),
    "editable": Param("bool", default=False),
    "chdir": Param("path"),
    "executable": Param("path"),
    "break_system_packages": Param("bool", default=False),
}


def recover_package_names(names: Sequence[str]) -> list[str]:
    """Ansible's _recover_package_name: `['django>1', '<2', 'six']` -> `['django>1,<2', 'six']`."""
    parts: list[str] = [piece for name in names for piece in name.split(",")]
    packages: list[str] = []
    current: list[str] = []
    in_brackets = False
    for part in parts:
        if not part.lstrip().startswith(_SPECIFIER_OPERATORS) and not in_brackets and current:
            packages.append(",".join(current))
            current = []
        if "[" in part:
            in_brackets = True
        if in_brackets and "]" in part:
            in_brackets = False
        current.append(part)
    if current:
        packages.append(",".join(current))
    return packages


def _virtualenv(params: Mapping[str, Any]) -> str | None:
    env: str | None = params["virtualenv"]
    if env and params["chdir"] and not env.startswith("/"):
        return join_path(params["chdir"], env)
    return env


def pip_command(params: Mapping[str, Any]) -> tuple[str, ...]:
    """The pip to run: the virtualenv's, `executable`, or the pip module of python3."""
    env = _virtualenv(params)
    if env:
        return (join_path(env, "bin/pip3"),)
    if params["executable"]:
        return (params["executable"],)
    return ("python3", "-m", "pip")


def _requirements(params: Mapping[str, Any]) -> list[str]:
    """The requirement strings given to pip (the `version` joined to a single name, as Ansible does)."""
    packages = recover_package_names(params["name"] or [])
    if params["version"] is not None and packages:
        version = params["version"].lstrip()
        packages[0] += ("==" if version[:1].isdigit() else " ") + version
    return packages


def _install_args(params: Mapping[str, Any]) -> list[str]:
    """Everything after `pip install`/`uninstall`: extra_args (with -e for editable), then names or -r."""
    extra = shlex.split(params["extra_args"]) if params["extra_args"] else []
    if params["editable"] and "-e" not in extra:
        extra.append("-e")
    if params["name"]:
        return [*extra, *_requirements(params)]
    return [*extra, "-r", params["requirements"]]


def _predicted_by_dry_run(params: Mapping[str, Any]) -> bool:
    install_states = ("latest", "present")
    unusual = bool(params["extra_args"] or params["editable"] or params["requirements"])
    has_vcs = any(_VCS.match(name) for name in params["name"] or [])
    return params["state"] in install_states and (params["state"] == "latest" or unusual or has_vcs)


def _dry_run_fact(params: Mapping[str, Any]) -> PipDryRunFact:
    upgrade = ("-U",) if params["state"] == "latest" else ()
    return PipDryRunFact(pip_command(params), (*upgrade, *_install_args(params)))


def pip_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """Whether the virtualenv exists, what its pip has installed, and a dry run when names are not enough."""
    facts: list[Fact[Any]] = []
    env = _virtualenv(params)
    if env:
        facts.append(PathExistsFact(join_path(env, "bin/activate")))
    facts.append(PipPackagesFact(pip_command(params)))
    if _predicted_by_dry_run(params):
        facts.append(_dry_run_fact(params))
    return facts


def _check_params(params: Mapping[str, Any]) -> str | None:
    if not params["name"] and not params["requirements"]:
        return "one of the following is required: name, requirements"
    if params["name"] and params["requirements"]:
        return "parameters are mutually exclusive: name|requirements"
    if params["executable"] and params["virtualenv"]:
        return "parameters are mutually exclusive: executable|virtualenv"
    if params["state"] == "latest" and params["version"] is not None:
        return "version is incompatible with state=latest"
    packages = recover_package_names(params["name"] or [])
    if params["version"] is not None and len(packages) > 1:
        return (
            "'version' argument is ambiguous when installing multiple package distributions. "
            "Please specify version restrictions next to each package in 'name' argument."
        )
    first = _parse(packages[0]) if packages else None
    if params["version"] is not None and first is not None and first.specifier:
        return (
            "The 'version' argument conflicts with any version specifier provided along with a package name. "
            "Please keep the version specifier, but remove the 'version' argument."
        )
    if params["virtualenv_python"] and _is_venv_command(params["virtualenv_command"]):
        return "virtualenv_python should not be used when using the venv module or pyvenv as virtualenv_command"
    return None


def _parse(requirement: str) -> Requirement | None:
    try:
        return Requirement(requirement)
    except InvalidRequirement:
        return None


def _is_venv_command(command: str) -> bool:
    words = shlex.split(command)
    if words and words[0] == "pyvenv":
        return True
    return any(word == "-m" and following == "venv" for word, following in itertools.pairwise(words))


def _satisfied(requirement: str, installed: Mapping[str, str]) -> bool:
    """Ansible's _is_present: installed under its canonical name, at a version the specifier allows."""
    parsed = _parse(requirement)
    if parsed is None:
        return False
    version = installed.get(canonical_name(parsed.name))
    return version is not None and parsed.specifier.contains(version, prereleases=True)


def _installed(requirement: str, installed: Mapping[str, str]) -> bool:
    parsed = _parse(requirement)
    return parsed is not None and canonical_name(parsed.name) in installed


def _venv_command(params: Mapping[str, Any], env: str) -> RunCommand:
    words = shlex.split(params["virtualenv_command"])
    if params["virtualenv_site_packages"]:
        words.append("--system-site-packages")
    if not _is_venv_command(params["virtualenv_command"]):
        words.append(f"-p{params['virtualenv_python'] or '/usr/bin/python3'}")
    return _in_dir(params, [*words, env])


def _in_dir(params: Mapping[str, Any], words: list[str]) -> RunCommand:
    if params["break_system_packages"] and words[0] != "sh":
        words = ["env", "PIP_BREAK_SYSTEM_PACKAGES=1", *words]
    if params["chdir"]:
        return RunCommand(("sh", "-c", CHDIR_SCRIPT, "sh", params["chdir"], *words))
    return RunCommand(tuple(words))


def plan_pip(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the virtualenv and the pip command, when something would change."""
    if (problem := _check_params(params)) is not None:
        return failed(problem)
    env = _virtualenv(params)
    pip = pip_command(params)
    command = [*pip, *STATE_ARGS[params["state"]], *_install_args(params)]
    result = {
        "cmd": command,
        "name": params["name"],
        "version": params["version"],
        "state": params["state"],
        "requirements": params["requirements"],
        "virtualenv": env,
    }
    venv_missing = bool(env) and not facts[f"exists:{join_path(str(env), 'bin/activate')}"]
    installed: Mapping[str, str] | None = facts[PipPackagesFact(pip).key]
    if installed is None and not venv_missing:
        if params["state"] == "absent":
            return no_change(f"{shlex.join(pip)} cannot run: nothing installed to remove", **result)
        return failed(f"Unable to run {shlex.join(pip)}: pip needs to be installed")
    wanted = _requirements(params)
    changes: list[str] = []
    if venv_missing:
        changes.append(f"virtualenv {env} created")
    if params["state"] == "absent":
        gone = [name for name in wanted if installed is not None and _installed(name, installed)]
        if not gone and not venv_missing:
            return no_change("not installed: " + ", ".join(wanted), **result)
        if gone:
            changes.append("removed: " + ", ".join(gone))
    elif params["state"] == "forcereinstall":
        changes.append("reinstalled: " + ", ".join(wanted or [f"-r {params['requirements']}"]))
    elif _predicted_by_dry_run(params) and not venv_missing:
        would: Mapping[str, str] | None = facts[_dry_run_fact(params).key]
        if would is None:
            changes.append("pip install runs (its dry run failed: the outcome cannot be told in advance)")
        elif would:
            changes.append("installs " + ", ".join(f"{name}=={version}" for name, version in sorted(would.items())))
        else:
            return no_change("already installed: " + " ".join(_install_args(params)), **result)
    else:
        missing = [name for name in wanted if installed is None or not _satisfied(name, installed)]
        if not missing and not venv_missing:
            return no_change("already installed: " + ", ".join(wanted), **result)
        changes.append("installs " + ", ".join(missing or wanted or [f"-r {params['requirements']}"]))
    actions: list[Action] = []
    if venv_missing and env:
        actions.append(_venv_command(params, env))
    if params["state"] != "absent" or not venv_missing:  # a new virtualenv has nothing to uninstall
        actions.append(_in_dir(params, command))
    keys = [PipPackagesFact(pip).key]
    if env:
        keys.insert(0, f"exists:{join_path(env, 'bin/activate')}")
    if _predicted_by_dry_run(params):
        keys.append(_dry_run_fact(params).key)
    return Plan(
        changed=True,
        summary="; ".join(changes),
        actions=tuple(actions),
        diffs=(Diff(resource=f"pip {shlex.join(pip)}", before="", after="\n".join(changes)),),
        invalidates=tuple(keys),
        result=result,
    )


PIP = Module(
    name="pip",
    params=PIP_PARAMS,
    facts=pip_facts,
    plan=plan_pip,
    doc=__doc__ or "",
)
