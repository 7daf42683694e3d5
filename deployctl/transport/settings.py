"""The run's SSH settings (deployctl.yml's `ssh:`): set once by the CLI when it loads the project.

Kept apart from the SSH transport so that setting them does not import paramiko (start-up time).
"""

from __future__ import annotations

from deployctl.model.connection import SshSettings

DEFAULT_FORKS = 16
"""Hosts worked on at once unless `--forks` says otherwise."""

_current = SshSettings()


def use_settings(settings: SshSettings) -> None:
    """Make `settings` the SSH settings of every transport opened from now on (one project per process)."""
    global _current  # one project per process: the CLI sets it once
    _current = settings


def run_settings() -> SshSettings:
    """The SSH settings of this run (the defaults until the CLI loads a project)."""
    return _current
