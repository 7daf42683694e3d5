"""The Swarm engine's pure parts: the service definition, configs named by content, update timings."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.dockerapi.engine import service_arguments, task_template
from deployctl.immutable.replica import ConfigMount, ReplicaSpec
from deployctl.immutable.swarm import SwarmConfig, parse_swarm_time, service_definition, swarm_configs, task_swaps


def make_spec(tmp_path: Path, content: bytes = b"version=v1\n") -> ReplicaSpec:
    source = tmp_path / "app.conf"
    source.write_bytes(content)
    return ReplicaSpec(
        app="testapp",
        image="deployctl/testapp:v1",
        image_id="sha256:" + "1" * 64,
        context_hash="ctx1",
        port=8000,
        health_path="/health",
        mounts=(ConfigMount(str(source), "/etc/testapp/app.conf", "0640"),),
    )


def test_configs_are_named_by_stage_and_content(tmp_path: Path) -> None:
    [config] = swarm_configs("qa", make_spec(tmp_path))
    assert config.name.startswith("deployctl-qa-") and len(config.name) == len("deployctl-qa-") + 16
    assert (config.dest, config.mode, config.content) == ("/etc/testapp/app.conf", 0o640, b"version=v1\n")
    [again] = swarm_configs("qa", make_spec(tmp_path))
    [other] = swarm_configs("qa", make_spec(tmp_path, b"version=v2\n"))
    assert again.name == config.name != other.name


def test_service_is_updated_start_first_and_rolled_back_by_swarm(tmp_path: Path) -> None:
    spec = make_spec(tmp_path)
    config = SwarmConfig("deployctl-qa-0123", "/etc/testapp/app.conf", 0o640, b"x")
    definition = service_definition(
        "qa", spec, [("cfgid", config)], "netid", replicas=3, parallelism=1, delay=2.5, monitor=5.0, health=None
    )
    assert definition.name == "deployctl-qa-app"
    assert definition.labels["deployctl.stage"] == "qa" and definition.labels["deployctl.role"] == "app"
    assert definition.labels["deployctl.release"] == "deployctl/testapp:v1"
    arguments, template = service_arguments(definition), task_template(definition)
    assert dict(arguments["update_config"]) == {
        "Parallelism": 1,
        "Delay": 2_500_000_000,
        "FailureAction": "rollback",
        "Monitor": 5_000_000_000,
        "MaxFailureRatio": 0,
        "Order": "start-first",
    }
    assert arguments["rollback_config"]["Parallelism"] == 3 and arguments["rollback_config"]["Order"] == "start-first"
    assert dict(arguments["endpoint_spec"]) == {"Mode": "dnsrr"}
    assert dict(arguments["mode"]) == {"replicated": {"Replicas": 3}}
    assert arguments["labels"] == dict(definition.labels)
    container = template["ContainerSpec"]
    assert container["Image"] == "deployctl/testapp:v1" and container["Init"] is True
    assert "Healthcheck" not in container  # the image's own HEALTHCHECK
    assert container["Configs"] == [
        {
            "ConfigID": "cfgid",
            "ConfigName": "deployctl-qa-0123",
            "File": {"Name": "/etc/testapp/app.conf", "UID": "0", "GID": "0", "Mode": 0o640},
        }
    ]
    assert [network["Target"] for network in template["Networks"]] == ["netid"]


def test_an_image_without_health_check_gets_one(tmp_path: Path) -> None:
    health = {"test": ["CMD-SHELL", "curl -f http://127.0.0.1:8000/health"], "interval": 2_000_000_000}
    definition = service_definition(
        "qa", make_spec(tmp_path), [], "netid", replicas=1, parallelism=1, delay=0, monitor=1, health=health
    )
    check = task_template(definition)["ContainerSpec"]["Healthcheck"]
    assert {key: value for key, value in check.items() if value is not None} == {
        "Test": ["CMD-SHELL", "curl -f http://127.0.0.1:8000/health"],
        "Interval": 2_000_000_000,
    }


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2026-11-25T12:23:59.352309592Z", 1795609439.352309592),
        ("2026-11-25T12:23:59Z", 1795609439.0),
    ],
)
def test_swarm_times_keep_their_fraction(value: str, seconds: float) -> None:
    assert parse_swarm_time(value) == pytest.approx(seconds, abs=1e-6)


def task(task_id: str, image: str, created: str, desired: str = "running") -> dict[str, object]:
    return {"ID": task_id, "CreatedAt": created, "DesiredState": desired, "Spec": {"ContainerSpec": {"Image": image}}}


def test_swap_times_run_from_one_new_task_to_the_next() -> None:
    tasks = [
        task("old1", "app:v1", "2026-01-01T00:00:00Z", "shutdown"),
        task("new2", "app:v2", "2026-01-01T00:00:12.5Z"),
        task("new1", "app:v2", "2026-01-01T00:00:10Z"),
        task("new3", "app:v2", "2026-01-01T00:00:15Z"),
        task("bad", "app:v2", "2026-01-01T00:00:11Z", "shutdown"),
    ]
    finished = parse_swarm_time("2026-01-01T00:00:19Z")
    swaps = task_swaps(tasks, "app:v2", finished)  # type: ignore[arg-type]
    assert [(s.new, s.seconds) for s in swaps] == [("task new1", 2.5), ("task new2", 2.5), ("task new3", 4.0)]
