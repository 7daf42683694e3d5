"""A stage's release history: stored as JSON, and the choice of the release a rollback returns to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deployctl.errors import DeployctlError
from deployctl.immutable.history import (
    ReleaseRecord,
    append_record,
    current_release,
    load_history,
    matches,
    record_from_json,
    record_to_json,
    releases_path,
    rollback_target,
)
from deployctl.immutable.replica import ConfigMount, ReplicaSpec


def spec(name: str, digit: str) -> ReplicaSpec:
    return ReplicaSpec(
        app="webapp",
        image=f"deployctl/webapp:{name}",
        image_id="sha256:" + digit * 64,
        context_hash=f"ctx{name}",
        port=8000,
        health_path="/health",
        mounts=(ConfigMount(f"/state/stages/qa/config/ctx{name}-x/etc/webapp.ini", "/etc/webapp.ini", "0640"),),
    )


V1, V2, V3, V4 = spec("v1", "1"), spec("v2", "2"), spec("v3", "3"), spec("v4", "4")


def record(replica: ReplicaSpec, outcome: str = "deployed", action: str = "deploy") -> ReleaseRecord:
    return ReleaseRecord(replica, "2026-01-01T00:00:00+00:00", outcome, action, "container", 3)  # type: ignore[arg-type]


HISTORY = [record(V1), record(V2), record(V2, "unchanged"), record(V3, "rolled_back"), record(V4, "failed")]


def test_records_round_trip_through_json() -> None:
    for item in HISTORY:
        assert record_from_json(json.loads(json.dumps(record_to_json(item)))) == item


def test_history_file_is_appended_and_read_back(tmp_path: Path) -> None:
    assert load_history(tmp_path, "qa") == []
    for item in HISTORY:
        append_record(tmp_path, "qa", item)
    assert load_history(tmp_path, "qa") == HISTORY
    data = json.loads(releases_path(tmp_path, "qa").read_text())
    assert data["stage"] == "qa" and data["version"] == 1 and len(data["releases"]) == 5
    assert load_history(tmp_path, "prod") == []


def test_a_broken_history_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = releases_path(tmp_path, "qa")
    path.parent.mkdir(parents=True)
    path.write_text('{"releases": [{"spec": {}}]}')
    with pytest.raises(DeployctlError, match=r"releases\.json"):
        load_history(tmp_path, "qa")


def test_rollback_returns_to_the_last_release_that_served_before_the_current_one() -> None:
    assert rollback_target(HISTORY, V2.image_id, None).spec == V1


def test_failed_and_rolled_back_releases_are_never_a_target() -> None:
    with pytest.raises(DeployctlError, match="no release of that name"):
        rollback_target(HISTORY, V2.image_id, "v3")
    with pytest.raises(DeployctlError, match="no release of that name"):
        rollback_target(HISTORY, V2.image_id, "deployctl/webapp:v4")


def test_repeated_rollbacks_alternate_like_cd_dash() -> None:
    history = [*HISTORY, record(V1, action="rollback")]
    assert rollback_target(history, V1.image_id, None).spec == V2


def test_without_a_current_release_the_newest_served_one_is_the_target() -> None:
    assert rollback_target(HISTORY, None, None).spec == V2


@pytest.mark.parametrize("name", ["deployctl/webapp:v1", "v1", "ctxv1", "sha256:" + "1" * 64, "1" * 64, "1" * 12])
def test_rollback_to_a_release_named_by_tag_id_or_context(name: str) -> None:
    assert rollback_target(HISTORY, V2.image_id, name).spec == V1
    assert matches(record(V1), name)


def test_an_image_id_prefix_must_be_12_characters_at_least() -> None:
    assert not matches(record(V1), "1" * 11)


def test_no_previous_release_is_an_error() -> None:
    with pytest.raises(DeployctlError, match="no previous release"):
        rollback_target([record(V1)], V1.image_id, None)
    with pytest.raises(DeployctlError, match="known: none"):
        rollback_target([], None, "v1")


def test_current_release_is_the_last_that_served() -> None:
    assert current_release(HISTORY) == record(V2, "unchanged")
    assert current_release([record(V3, "rolled_back")]) is None


def test_a_config_only_release_is_rolled_back_to_the_previous_config() -> None:
    """Same image, new per-stage config (e.g. a new version in a template): rollback returns to the old config."""
    old_config = spec("v1", "1")
    new_config = ReplicaSpec(
        **{**old_config.__dict__, "mounts": (ConfigMount("/state/new/etc/webapp.ini", "/etc/webapp.ini", "0640"),)}
    )
    history = [record(old_config), record(new_config)]
    assert rollback_target(history, old_config.image_id, None) == history[0]
    with pytest.raises(DeployctlError, match="no previous release"):
        rollback_target([record(old_config), record(old_config, "unchanged")], old_config.image_id, None)
