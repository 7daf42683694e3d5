"""paramiko, imported without `invoke`: paramiko only needs it for ssh_config `Match exec`, which we never use.

paramiko 4 imports invoke at start-up when it is installed, and invoke pulls in asyncio, ssl and
unittest.mock: about 45 ms of every command that opens an SSH connection. Hiding it during paramiko's
import makes paramiko take its own "invoke not installed" path; it is visible again afterwards.
"""

from __future__ import annotations

import sys

if "paramiko" in sys.modules or "invoke" in sys.modules:
    import paramiko
else:
    sys.modules["invoke"] = None  # type: ignore[assignment]  # `import invoke` now raises ImportError
    try:
        import paramiko
    finally:
        del sys.modules["invoke"]

__all__ = ["paramiko"]
