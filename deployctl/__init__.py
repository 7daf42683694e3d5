"""deployctl: Ansible-style provisioning for mutable VMs and immutable containers."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("deployctl")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
