"""Whether a play can read Ansible's gathered facts, known from its content before any host is touched.

Gathering costs every host several processes and the controller a parse; a play that reads no fact (no
`ansible_*` name that no variable defines, no `ansible_facts`) gets the same plan without them, so they are
gathered only for plays that can read them. What the content reads is found with Jinja's own parser
(`Templar.referenced_names`), followed through the variables the play sees: task arguments, names and
variables, conditions (`when`, `changed_when`, `failed_when`, `assert`'s `that`, `debug`'s `var`), loops,
included files and include_vars files, role and play variables, and the template files the play renders.

Content that can read a variable by a name computed at run time (`vars[...]`, `hostvars[...]`, a `vars` or
`template` lookup of a computed name, a template file chosen at run time) is taken to read facts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from deployctl.lookups import LOOKUP_SITE_VAR
from deployctl.model.playbook import Play, Task, find_task_file, leaf_tasks
from deployctl.model.runvars import DEFINED_ANSIBLE_NAMES
from deployctl.templating import ANY_VARIABLE, Templar, TemplateError, is_templated

FACT_PREFIX = "ansible_"
FACTS_VARIABLE = "ansible_facts"
COMPUTED_NAMES = frozenset({ANY_VARIABLE, "hostvars"})
"""Variables through which content reads others by computed names (facts among them)."""


def _tasks(play: Play) -> Iterator[Task]:
    """Every task of the play, its handlers and every candidate of its dynamic includes."""
    pending: list[Task] = list(play.all_tasks())
    while pending:
        task = pending.pop()
        yield task
        for included in task.includes.values():
            pending.extend((*leaf_tasks(included.steps), *included.handlers))


def _expressions(task: Task) -> list[str | bool]:
    """The task's bare Jinja expressions: its conditions, assert's `that` (a list once loaded), debug's `var`."""
    found: list[str | bool] = [*task.when, *(task.changed_when or ()), *(task.failed_when or ())]
    if task.module == "assert":
        found.extend(task.args["that"])
    if task.module == "debug" and "var" in task.args:
        found.append(str(task.args["var"]))
    return found


def _template_file(task: Task, base_dir: Path) -> Path | None:
    """The file a template task renders when its `src` is fixed; None when it is chosen at run time."""
    source = task.args.get("src")
    if not isinstance(source, str) or is_templated(source):
        return None
    return find_task_file(task, "template", source, base_dir)


def reads_facts(play: Play, templar: Templar, base_dir: Path, variables: Mapping[str, Any]) -> bool:
    """Whether the play's content can read a gathered fact, besides the variables defined without them.

    `variables` are the host's and the run's (magic) variables: a name they define (`ansible_host`,
    `ansible_check_mode`) is not a fact, and what their values read is followed; nor is a magic variable
    the run adds later (a role's, a play's, a template's: `ansible_role_name`, `ansible_managed`...).
    """
    scope: dict[str, Any] = {**variables, **play.role_defaults, **play.vars, **play.role_vars}
    names: set[str] = set()
    try:
        names |= templar.referenced_names([play.vars, play.role_defaults, play.role_vars, play.become_user], scope)
        for task in _tasks(play):
            values: list[Any] = [task.name, task.args, task.loop, task.vars, task.become_user, task.delegate_to]
            values.extend(task.var_files.values())
            scope.update(task.vars)
            if task.role is not None:
                role_values = (task.role.defaults, task.role.vars, task.role.params)
                values.extend(role_values)
                scope.update({name: value for defined in role_values for name, value in defined.items()})
            if task.module == "template":
                path = _template_file(task, base_dir)
                if path is None:
                    return True  # a template picked at run time may read anything
                values.append(path)
            task_scope = {**scope, LOOKUP_SITE_VAR: task.lookup_site}
            names |= templar.referenced_names(values, task_scope)
            for expression in _expressions(task):
                names |= templar.condition_names(expression, task_scope)
    except TemplateError:
        return True  # the run reports the problem; it may as well have the facts
    if names & COMPUTED_NAMES or FACTS_VARIABLE in names:
        return True
    defined = scope.keys() | DEFINED_ANSIBLE_NAMES
    return any(name.startswith(FACT_PREFIX) and name not in defined for name in names)
