"""`deployctl verify --stage S`: the testinfra checks of tests/infra/ on every host of the stage, recorded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.deploy import FormatOption, StageOption
from deployctl.cli.render import OutputFormat, print_json, print_table, say, stderr

if TYPE_CHECKING:
    from deployctl.operations.verify import StageVerification

VERIFY_FAILED_EXIT = 2


def verification_json(done: StageVerification) -> dict[str, Any]:
    """A recorded verification as JSON."""
    return {
        "verification_id": done.verification_id,
        "stage": done.stage,
        "release_id": done.release_id,
        "deployment_id": done.deployment_id,
        "passed": done.passed,
        "reason": done.reason,
        "seconds": round(done.seconds, 3),
        "hosts": [
            {"host": h.host, "backend": h.backend, "passed": h.passed, "failed": h.failed, **dict(h.detail)}
            for run in done.runs
            for h in run.results
        ],
    }


def render_verification(done: StageVerification, output: OutputFormat) -> None:
    """Per host: backend, checks passed and failed; then the verdict."""
    if output is OutputFormat.json:
        print_json(verification_json(done))
        return
    rows = [
        [h.host, h.backend, str(h.passed), str(h.failed), ", ".join(h.detail.get("failures", [])) or "-"]
        for run in done.runs
        for h in run.results
    ]
    print_table(f"verify {done.stage}", ["HOST", "BACKEND", "PASSED", "FAILED", "FAILED CHECKS"], rows)
    verdict = "passed" if done.passed else f"failed: {done.reason}"
    say(
        f"verification #{done.verification_id} of {done.stage} (release {done.release_id or 'unknown'}) "
        f"{verdict} in {done.seconds:.1f} s"
    )


def verify(ctx: typer.Context, stage: StageOption, output: FormatOption = OutputFormat.table) -> None:
    """Run tests/infra/ on every host of the stage (SSH for VMs, Docker for containers) and record the result.

    The hosts are the ones the release the stage runs names (its snapshot's inventory, as deploy used it).

    Exit codes: 0 passed, 2 a check failed, 5 the stage is locked by another command.
    """
    from deployctl.operations.context import engine_factory
    from deployctl.operations.verify import verify as verify_operation

    project = cli_context(ctx).project()
    done = verify_operation(project, stage, engine_factory(project, say), say)
    render_verification(done, output)
    if not done.passed:
        stderr.print(f"deployctl: {stage}: verification #{done.verification_id} failed: {done.reason}", markup=False)
        raise typer.Exit(VERIFY_FAILED_EXIT)
