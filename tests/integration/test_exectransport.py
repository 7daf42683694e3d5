"""The docker-exec transport on a real container: the one atomic put, get, becoming a user, and a fact batch
(the same gatherers as over SSH) read through it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deployctl.dockerapi.containers import DockerContainer
from deployctl.dockerapi.exectransport import DockerExecTransport
from deployctl.facts.base import batch
from deployctl.facts.files import FileFact, FileInfo
from deployctl.lab.engine import ensure_engine
from deployctl.lab.images import BASE_IMAGE, ensure_base_image
from deployctl.model.project import Project
from deployctl.transport.base import shell
from tests.conftest import REPO
from tests.integration.apps import say

pytestmark = pytest.mark.integration

TEST_LABELS = {"deployctl.test": "exectransport"}
PATH = "/etc/deployctl-exec-test.ini"


@pytest.fixture(scope="module")
def transport(project: Project) -> Iterator[DockerExecTransport]:
    """A throwaway container of the base image (labelled, no network), removed at the end."""
    engine = ensure_engine(project.state_dir / "lab", say)
    ensure_base_image(engine, REPO / "images", say)
    for old in engine.list_containers([f"{key}={value}" for key, value in TEST_LABELS.items()]):
        old.remove(force=True)  # a crashed run's
    started = engine.sdk.containers.run(
        BASE_IMAGE, ["sleep", "infinity"], detach=True, labels=TEST_LABELS, network_disabled=True, init=True
    )
    container = DockerContainer(started)
    try:
        yield DockerExecTransport.of(container)
    finally:
        container.remove(force=True)


def test_put_writes_the_file_atomically_with_its_mode_and_get_reads_it_back(transport: DockerExecTransport) -> None:
    content = b"[app]\nport = 8000\n\x00binary tail\n"
    assert transport.put(content, PATH, mode="0640", become=True).ok
    assert transport.get(PATH, become=True) == content
    leftovers = transport.run(["sh", "-c", "ls -a /etc | grep -c '^.deployctl' || true"])
    assert leftovers.stdout.strip() == "0"  # no temporary file left behind


def test_facts_are_read_through_the_same_gatherers_as_over_ssh(transport: DockerExecTransport) -> None:
    assert transport.put(b"x\n", PATH, mode="0640", become=True).ok
    facts = batch([FileFact(PATH)])
    result = transport.run(shell(facts.script()), become=True)
    assert result.ok, result.stderr
    info = facts.split(result.stdout)[f"file:{PATH}"]
    assert isinstance(info, FileInfo)
    assert (info.type, info.mode, info.owner, info.size) == ("file", "0640", "root", 2)


def test_become_user_runs_as_that_user(transport: DockerExecTransport) -> None:
    assert transport.run(["id", "-un"], become=True, become_user="nobody").stdout.strip() == "nobody"
    assert transport.run(["id", "-un"], become=True).stdout.strip() == "root"
    denied = transport.run(["cat", "/etc/shadow"], become=True, become_user="nobody")
    assert not denied.ok and "Permission denied" in denied.stderr
