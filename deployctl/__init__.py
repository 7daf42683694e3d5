"""deployctl: Ansible-style provisioning for mutable VMs and immutable containers."""

__version__ = "0.1.0"
"""The one place the version is written; pyproject.toml reads it from here."""
