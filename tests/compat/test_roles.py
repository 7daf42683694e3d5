"""Differential tests: each public role applied by ansible-core to one fresh node and by deployctl to its twin.

The stages (corpus.STAGES): both first runs succeed and deployctl lint accepts the case; both second runs change
nothing; the two end states are the same (every path either run touched: type, mode, owner, group, content hash;
packages; users and groups; enabled and active units); after a deploy, drift is clean, and a hand change on the
deployctl twin (a line added to a file whose whole content the role manages, else a file whose line or block it
manages emptied, else a package it installed removed) is found by `deployctl drift` and cleared by `--fix`.
Paths that legitimately differ are named with their reason in corpus.py. A role stops at the first stage that
fails, and its test checks that this is the stage and reason its corpus status says ("pass": none).

The roles run in the background from the start of the session (roleruns.py, started by tests/conftest.py);
each role's test waits for its own.
"""

from __future__ import annotations

import pytest

from tests.compat.corpus import CORPUS, CompatRole, mismatch
from tests.compat.roleruns import RoleRuns

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("role", CORPUS, ids=[role.name for role in CORPUS])
def test_role_ends_where_ansible_core_ends(role: CompatRole, compat_runs: RoleRuns) -> None:
    problem = mismatch(role, compat_runs.outcome(role.name))
    assert problem is None, problem
