"""The project: `deployctl.yml` at the root names the stages in pipeline order and where things live."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from deployctl.booleans import parse_bool
from deployctl.errors import DeployctlError, InputError
from deployctl.model.connection import SshSettings
from deployctl.model.stage import Stage
from deployctl.redaction import RedactionRules
from deployctl.yamlsource import LocatedList, LocatedMap, load_yaml_file

CONFIG_NAME = "deployctl.yml"
STAGE_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
KNOWN_KEYS = {"stages", "inventory_dir", "state_dir", "ledger", "roles_path", "redact", "ssh"}
REDACT_KEYS = ("variables", "also", "never")
DEFAULT_LEDGER = "ledger.db"


@dataclass(frozen=True)
class Project:
    """A deployctl project: its root folder, its stages in pipeline order, and its folders."""

    root: Path
    stages: tuple[str, ...]
    inventory_dir: Path
    state_dir: Path
    stages_line: int
    ledger_path: Path | None = None
    roles_path: tuple[Path, ...] = ()
    redaction: RedactionRules = field(default_factory=RedactionRules)
    ssh: SshSettings = field(default_factory=SshSettings)

    @property
    def ledger(self) -> Path:
        """The ledger database: `ledger` in deployctl.yml, else `<state_dir>/ledger.db`."""
        return self.ledger_path or self.state_dir / DEFAULT_LEDGER

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    def display(self, path: Path) -> str:
        """A path as errors show it: relative to the project root when inside it."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def stage(self, name: str) -> Stage:
        """The stage called `name` with its place in the pipeline; an error naming deployctl.yml if none is."""
        if name not in self.stages:
            raise InputError(
                CONFIG_NAME,
                self.stages_line,
                "stages",
                f"unknown stage {name!r}; the stages are {', '.join(self.stages)}",
            )
        return Stage(self.stages.index(name), name)

    def require_stage(self, stage: str) -> str:
        """Return `stage` if the project defines it, else raise the error of `stage()`."""
        return self.stage(stage).name

    def pipeline(self) -> tuple[Stage, ...]:
        """Every stage, in pipeline order."""
        return tuple(Stage(position, name) for position, name in enumerate(self.stages))

    def inventory_path(self, stage: Stage | str) -> Path:
        """The inventory file of a stage: `<inventory_dir>/<stage>.yml` (or `.yaml`)."""
        yml = self.inventory_dir / f"{stage}.yml"
        yaml_path = self.inventory_dir / f"{stage}.yaml"
        return yaml_path if not yml.exists() and yaml_path.exists() else yml


def _folder(config: LocatedMap, key: str, default: str, root: Path) -> Path:
    value = config.get(key, default)
    if not isinstance(value, str) or not value:
        raise InputError(CONFIG_NAME, config.line_of(key), key, "must be a folder path")
    return (root / value).resolve()


def _file(config: LocatedMap, key: str, root: Path) -> Path | None:
    if key not in config:
        return None
    value = config.get(key)
    if not isinstance(value, str) or not value or value.endswith("/"):
        raise InputError(CONFIG_NAME, config.line_of(key), key, "must be a file path")
    return (root / value).resolve()


def _roles_path(config: LocatedMap, root: Path) -> tuple[Path, ...]:
    value = config.get("roles_path", [])
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) and item for item in items):
        raise InputError(
            CONFIG_NAME, config.line_of("roles_path"), "roles_path", "must be a folder or a list of folders"
        )
    return tuple((root / item).resolve() for item in items)


def _redaction(config: LocatedMap) -> RedactionRules:
    """`redact: {variables: true|false, also: [names], never: [names]}`: which variables' values are hidden."""
    value = config.get("redact")
    if value is None:
        return RedactionRules()
    if not isinstance(value, LocatedMap):
        raise InputError(
            CONFIG_NAME, config.line_of("redact"), "redact", f"must be a mapping with {', '.join(REDACT_KEYS)}"
        )
    for key in value:
        if key not in REDACT_KEYS:
            raise InputError(
                CONFIG_NAME, value.line_of(key), f"redact.{key}", f"unknown key; known: {', '.join(REDACT_KEYS)}"
            )
    variables = parse_bool(value.get("variables", True))
    if variables is None:
        raise InputError(CONFIG_NAME, value.line_of("variables"), "redact.variables", "must be true or false")
    names: dict[str, frozenset[str]] = {}
    for key in ("also", "never"):
        items = value.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, str) and i.isidentifier() for i in items):
            raise InputError(CONFIG_NAME, value.line_of(key), f"redact.{key}", "must be a list of variable names")
        names[key] = frozenset(items)
    return RedactionRules(variables, names["also"], names["never"])


SSH_TIMEOUTS = ("connect_timeout", "command_timeout", "idle_timeout")
SIZE = re.compile(r"^\s*(\d+)\s*(B|KiB|MiB|GiB)?\s*$")
SIZE_UNITS = {None: 1, "B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}


def _ssh_settings(config: LocatedMap) -> SshSettings:
    """The `ssh:` settings: timeouts in seconds (0 turns command and idle timeouts off) and a size (64MiB)."""
    if "ssh" not in config:
        return SshSettings()
    section = config["ssh"]
    if not isinstance(section, LocatedMap):
        raise InputError(CONFIG_NAME, config.line_of("ssh"), "ssh", "must be a mapping of SSH settings")
    timeouts: dict[str, float] = {}
    defaults = SshSettings()
    limit = defaults.output_limit
    for key, value in section.items():
        field_name, line = f"ssh.{key}", section.line_of(key)
        if key in SSH_TIMEOUTS:
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise InputError(CONFIG_NAME, line, field_name, f"must be a number of seconds, got {value!r}")
            if value == 0 and key == "connect_timeout":
                raise InputError(CONFIG_NAME, line, field_name, "must be more than 0 seconds")
            timeouts[str(key)] = float(value)
        elif key == "output_limit":
            size = SIZE.match(str(value)) if not isinstance(value, bool) else None
            if size is None or int(size[1]) == 0:
                raise InputError(
                    CONFIG_NAME, line, field_name, f"must be a size like 64MiB (B, KiB, MiB, GiB), got {value!r}"
                )
            limit = int(size[1]) * SIZE_UNITS[size[2]]
        else:
            known = ", ".join((*SSH_TIMEOUTS, "output_limit"))
            raise InputError(CONFIG_NAME, line, field_name, f"unknown SSH setting; known: {known}")
    return SshSettings(
        connect_timeout=timeouts.get("connect_timeout", defaults.connect_timeout),
        command_timeout=timeouts.get("command_timeout", defaults.command_timeout),
        idle_timeout=timeouts.get("idle_timeout", defaults.idle_timeout),
        output_limit=limit,
    )


def project_roles_path(start: Path) -> tuple[Path, ...]:
    """The `roles_path` of the project holding `start` (nearest deployctl.yml), or () outside a project."""
    for folder in (start.resolve(), *start.resolve().parents):
        if (folder / CONFIG_NAME).is_file():
            return load_project(folder).roles_path
    return ()


def load_project(root: Path) -> Project:
    """Load and validate `deployctl.yml` in `root`."""
    config = load_yaml_file(root / CONFIG_NAME, CONFIG_NAME)
    if not isinstance(config, LocatedMap):
        raise InputError(CONFIG_NAME, 1, None, "must be a mapping with at least `stages`")
    for key in config:
        if key not in KNOWN_KEYS:
            raise InputError(
                CONFIG_NAME,
                config.line_of(key),
                str(key),
                f"unknown key; known: {', '.join(sorted(KNOWN_KEYS))}",
            )
    stages = config.get("stages")
    if "stages" not in config:
        raise InputError(CONFIG_NAME, config.line, "stages", "missing: list the stages in pipeline order")
    if not isinstance(stages, LocatedList) or not stages:
        raise InputError(CONFIG_NAME, config.line_of("stages"), "stages", "must be a non-empty list")
    seen: set[str] = set()
    for index, stage in enumerate(stages):
        if not isinstance(stage, str) or not STAGE_NAME.match(stage):
            raise InputError(
                CONFIG_NAME,
                stages.line_of(index),
                "stages",
                f"{stage!r} is not a stage name (a-z, 0-9, -, _)",
            )
        if stage in seen:
            raise InputError(CONFIG_NAME, stages.line_of(index), "stages", f"stage {stage!r} is listed twice")
        seen.add(stage)
    return Project(
        root=root,
        stages=tuple(stages),
        inventory_dir=_folder(config, "inventory_dir", "inventories", root),
        state_dir=_folder(config, "state_dir", ".deployctl", root),
        stages_line=config.line_of("stages"),
        ledger_path=_file(config, "ledger", root),
        roles_path=_roles_path(config, root),
        redaction=_redaction(config),
        ssh=_ssh_settings(config),
    )


def find_project(start: Path) -> Project:
    """Find the project whose `deployctl.yml` is in `start` or the nearest parent, and load it."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return load_project(folder)
    raise DeployctlError(f"no {CONFIG_NAME} in {start} or any parent folder (run from the project, or --project DIR)")
