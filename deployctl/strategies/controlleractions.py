"""The tasks that run on the controller and change nothing on the host: set_fact, include_vars, debug,
fail, assert and meta."""

from __future__ import annotations

from typing import Any

from deployctl.model.playbook import Task
from deployctl.model.setfact import set_fact_values
from deployctl.strategies.hostfacts import TaskVariables
from deployctl.strategies.outcome import Outcome
from deployctl.strategies.taskrender import TaskRenderer
from deployctl.templating import mark_unsafe


def run_action(task: Task, scope: dict[str, Any], render: TaskRenderer, variables: TaskVariables) -> Outcome:
    """Run a controller-side action; set_fact and include_vars add to `variables`."""
    templar = render.templar
    if task.module == "set_fact":
        values = set_fact_values(task.args, lambda value: templar.render(value, scope))
        variables.registered.update(mark_unsafe(values))
        return Outcome("ok", ", ".join(f"{name} set" for name in values), output={"ansible_facts": values})
    if task.module == "include_vars":
        path, loaded = render.vars_to_include(task, scope)
        variables.included.update(loaded)
        return Outcome(
            "ok", f"{render.playbook.display(path)}: {', '.join(sorted(loaded))}", output={"ansible_facts": loaded}
        )
    if task.module == "debug":
        if "var" in task.args:
            name = str(task.args["var"])
            value = templar.render("{{ " + name + " }}", scope)
            return Outcome("ok", f"{name}: {value!r}", output={name: value})
        message = templar.render(task.args.get("msg", "Hello world!"), scope)
        return Outcome("ok", str(message), output={"msg": message})
    if task.module == "fail":
        return Outcome("failed", str(templar.render(task.args.get("msg", "Failed as requested"), scope)))
    if task.module == "assert":
        for condition in task.args["that"]:
            if not templar.evaluate(condition, scope):
                default = f"Assertion failed: {condition}"
                message = task.args.get("fail_msg", task.args.get("msg", default))
                return Outcome("failed", str(templar.render(message, scope)), output={"assertion": condition})
        return Outcome("ok", str(templar.render(task.args.get("success_msg", "All assertions passed"), scope)))
    return Outcome("ok", f"meta: {task.args.get('free_form')}")
