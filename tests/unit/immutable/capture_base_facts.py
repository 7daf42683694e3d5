"""Re-capture the base image's facts that the compile tests read.

Run by hand: `python tests/unit/immutable/capture_base_facts.py`.

Reads, in one throwaway container of deployctl/base:bookworm (as compile does for real), every fact that
the demo webapp and each variant under variants/ need, and stores each fact's raw output and exit code
in fixtures/base_facts.json, keyed by fact key.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from deployctl.facts.base import Fact
from deployctl.immutable.build import read_base_facts
from deployctl.immutable.compile import base_facts_needed
from deployctl.lab.engine import ensure_engine

HERE = Path(__file__).resolve().parent


def _conftest() -> Any:
    spec = importlib.util.spec_from_file_location("immutable_conftest", HERE / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    helpers = _conftest()
    facts: dict[str, Fact[Any]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        playbooks = [helpers.webapp_playbook()]
        for name in helpers.variant_names():
            folder = Path(scratch) / name
            folder.mkdir()
            playbooks.append(helpers.make_playbook(folder, name))
        for playbook in playbooks:
            for stages in (helpers.STAGES, ("dev", "qa", "uat", "prod")):
                variables = helpers.stage_vars(playbook, stages)
                for fact in base_facts_needed(playbook, playbook.plays[0], variables):
                    facts.setdefault(fact.key, fact)
    client = ensure_engine(helpers.REPO / ".deployctl" / "lab", lambda line: print(line, file=sys.stderr))
    raw = read_base_facts(client, list(facts.values()))
    data = {key: {"output": raw[key].output, "exit_code": raw[key].exit_code} for key in sorted(raw)}
    helpers.BASE_FACTS.parent.mkdir(parents=True, exist_ok=True)
    helpers.BASE_FACTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"captured {len(data)} facts into {helpers.BASE_FACTS}")


if __name__ == "__main__":
    main()
