"""Tasks: one task's module or action, its arguments and keywords (loop, loop_control, delegate_to, timeout...);
the arguments known at load time are validated against the module."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from deployctl.errors import InputError
from deployctl.model.inventory import Origin
from deployctl.model.loading import roles, steps
from deployctl.model.loading.keywords import (
    ANSIBLE_TASK_KEYWORDS,
    HANDLER_KEYWORDS,
    INCLUDE_ACTIONS,
    INCLUDE_KEYWORDS,
    INERT_KEYWORDS,
    LOCAL_HOSTS,
    LOOP_CONTROL_KEYS,
    LOOP_KEYWORDS,
    META_ACTIONS,
    TASK_KEYWORDS,
)
from deployctl.model.loading.source import Inherit, SourceFile
from deployctl.model.loops import with_loop_keyword
from deployctl.model.playbook import (
    ACTIONS,
    CONTROLLER_FILE_DIRS,
    ActionSpec,
    Included,
    Task,
    display_path,
    find_task_file,
    plain_data,
    task_file_candidates,
)
from deployctl.model.setfact import is_variable_name
from deployctl.model.taskargs import parse_inline_args
from deployctl.modules.base import Module
from deployctl.modules.params import ParamError, known_params, validate_params
from deployctl.modules.registry import canonical_name
from deployctl.templating import TemplateError, UnsupportedLookupError, is_templated
from deployctl.yamlsource import LocatedMap


def _short(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return " ".join(f"{key}={item}" for key, item in value.items() if not isinstance(item, Mapping | list))
    return ""


def default_task_name(module: str, args: Mapping[str, Any], free_form: str | None) -> str:
    """`<module> <short args>` for a task without a name, at most 60 characters."""
    shown = _short(args[free_form]) if free_form and free_form in args else _short(args)
    name = f"{module} {shown}".strip()
    return name if len(name) <= 60 else name[:57] + "..."


def task_module(at: SourceFile, data: LocatedMap, where: str, handler: bool) -> tuple[str, Module | ActionSpec | None]:
    """The task's module (or action), None for one deployctl does not have; unsupported keywords are recorded."""
    allowed = HANDLER_KEYWORDS if handler else TASK_KEYWORDS
    found: list[tuple[str, Module | ActionSpec | None]] = []
    refused: list[str] = []
    for key in data:
        if key in allowed or key in INERT_KEYWORDS or (isinstance(key, str) and with_loop_keyword(key)):
            continue
        line = data.line_of(key)
        if not isinstance(key, str):
            raise at.error(line, str(key), f"{key!r} is not a keyword or a module name")
        if key == "listen":
            at.unsupported(line, key, "unsupported keyword 'listen' on a task (only handlers listen)")
            refused.append(key)
            continue
        if key in ANSIBLE_TASK_KEYWORDS or key.startswith("with_"):
            at.unsupported(line, key, f"unsupported keyword {key!r}")
            refused.append(key)
            continue
        if canonical_name(key) in ("import_tasks", "import_role", "block") and handler:
            at.unsupported(line, key, f"{key!r} in handlers is not supported")
            refused.append(key)
            continue
        module: Module | ActionSpec | None = ACTIONS.get(canonical_name(key)) or at.modules.get(canonical_name(key))
        if module is None:
            at.unsupported(line, key, f"unknown module {key!r}")
        if found:
            raise at.error(
                line,
                key,
                f"a task has exactly one module; it also has {found[0][0]!r} (line {data.line_of(found[0][0])})",
            )
        found.append((key, module))
    if found:
        return found[0]
    if refused:  # `local_action:`, `include:`...: the unsupported keyword stands for the module
        return refused[0], None
    raise at.error(data.line, where, "no module: a task needs exactly one module (e.g. command, copy)")


def delegate_value(at: SourceFile, data: LocatedMap) -> str:
    value = data["delegate_to"]
    if not isinstance(value, str) or value.strip() not in LOCAL_HOSTS:
        at.unsupported(
            data.line_of("delegate_to"),
            "delegate_to",
            f"delegate_to {value!r} is not supported (only localhost: steps run on this machine)",
        )
    return "localhost"


def parse_task(at: SourceFile, data: LocatedMap, where: str, inherit: Inherit, *, handler: bool) -> Task:
    """One task; one deployctl cannot run (unsupported module, parameter or keyword) is kept with its problems."""
    with at.task_problems() as problems:
        task, module = task_as_written(at, data, where, inherit, handler=handler)
        if isinstance(module, Module):
            check_args(at, task, module)
        elif task.module in INCLUDE_ACTIONS:
            include_keywords(at, task)
    if problems:
        return replace(task, unsupported=(*inherit.unsupported, *problems))
    if isinstance(module, ActionSpec):  # includes load even under an unsupported keyword
        task = check_action(at, task, inherit, handler, include_apply(at, data, task))
    return replace(task, unsupported=(*inherit.unsupported, *task.unsupported)) if inherit.unsupported else task


def task_as_written(
    at: SourceFile, data: LocatedMap, where: str, inherit: Inherit, *, handler: bool
) -> tuple[Task, Module | ActionSpec | None]:
    """The task's keywords and arguments, checked, and its module (None when deployctl has none of that name)."""
    key, module = task_module(at, data, where, handler)
    free_form = None
    if isinstance(module, ActionSpec):
        name = canonical_name(key)
        args, arg_lines = action_args(at, data, key, module)
        free_form = module.free_form
    elif module is not None:
        name = module.name
        args, arg_lines = module_args(at, data, key, module)
        free_form = module.free_form
    else:
        name = canonical_name(key)
        args, arg_lines = unknown_module_args(at, data, key)
    loops = [str(word) for word in data if word in LOOP_KEYWORDS or (isinstance(word, str) and with_loop_keyword(word))]
    if len(loops) > 1:
        raise at.error(data.line_of(loops[1]), loops[1], f"a task has one loop, not both {loops[0]} and {loops[1]}")
    loop_key = loops[0] if loops else None
    loop_keyword = (with_loop_keyword(loop_key) or loop_key) if loop_key else None
    own_tags = at.names(data, "tags", split_commas=True) if "tags" in data else ()
    listen = at.names(data, "listen") if "listen" in data else ()
    if handler and "name" not in data and not listen:
        raise at.error(data.line, where, "a handler needs a name (or listen) to be notified")
    own_vars = (
        {n: v for n, (v, _) in at.variables(data["vars"], data.line_of("vars"), "vars").items()}
        if "vars" in data
        else {}
    )
    loop_var, index_var = loop_control(at, data, loop_keyword)
    task = Task(
        name=at.name_value(data, "name") if "name" in data else default_task_name(name, args, free_form),
        module=name,
        args=args,
        when=(*inherit.when, *(at.condition_list(data, "when") if "when" in data else ())),
        loop=loop_value(at, data, loop_key, loop_keyword) if loop_key and loop_keyword else None,
        loop_keyword=loop_keyword,
        loop_var=loop_var,
        register=at.identifier(data, "register") if "register" in data else None,
        notify=tuple(n.split(" : ", 1)[-1] for n in at.names(data, "notify")) if "notify" in data else (),
        listen=listen,
        tags=(*own_tags, *(tag for tag in inherit.tags if tag not in own_tags)),
        become=at.flag(data, "become") if "become" in data else inherit.become,
        become_user=at.name_value(data, "become_user") if "become_user" in data else inherit.become_user,
        changed_when=at.condition_list(data, "changed_when") if "changed_when" in data else None,
        failed_when=at.condition_list(data, "failed_when") if "failed_when" in data else None,
        ignore_errors=at.flag(data, "ignore_errors") if "ignore_errors" in data else inherit.ignore_errors or False,
        vars={**inherit.vars, **own_vars},
        origin=Origin(at.source, data.line),
        arg_lines=arg_lines,
        keyword_lines={str(word): line for word, line in data.key_lines.items()},
        role=inherit.role,
        file_dirs=steps.file_dirs(at, inherit),
        check_mode=at.flag(data, "check_mode") if "check_mode" in data else inherit.check_mode,
        delegate_to=delegate_value(at, data) if "delegate_to" in data else inherit.delegate_to,
        index_var=index_var,
        no_log=at.flag(data, "no_log") if "no_log" in data else inherit.no_log,
        diff=at.flag(data, "diff") if "diff" in data else inherit.diff,
        timeout=timeout_value(at, data) if "timeout" in data else None,
        environment=(*inherit.environment, *at.environment(data)),
        run_once=at.bool_value(data, "run_once") if "run_once" in data else inherit.run_once,
    )
    return task, module


def unknown_module_args(at: SourceFile, data: LocatedMap, key: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The arguments of a module deployctl does not have, as written (their Jinja syntax checked)."""
    value = data[key]
    at.jinja(value, data.line_of(key), key)
    if isinstance(value, LocatedMap):
        return {str(name): plain_data(item) for name, item in value.items()}, {
            str(name): value.line_of(name) for name in value
        }
    return ({"free_form": value} if isinstance(value, str) else {}), {}


def timeout_value(at: SourceFile, data: LocatedMap) -> int:
    """Ansible's task `timeout:`: a whole number of seconds, more than 0 (0 would mean none: leave it out)."""
    value = data["timeout"]
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise at.error(data.line_of("timeout"), "timeout", f"must be a number of seconds above 0, got {value!r}")
    return value


def loop_value(at: SourceFile, data: LocatedMap, key: str, keyword: str) -> Any:
    """The loop's value as written under `key` (`keyword`: the loop it is, `with_ansible.builtin.items` with_items)."""
    value = data[key]
    line = data.line_of(key)
    if keyword == "loop" and not isinstance(value, list) and not (isinstance(value, str) and is_templated(value)):
        raise at.error(line, key, f"must be a list or a template giving one, got {value!r}")
    if keyword in ("with_items", "with_list", "with_nested", "with_together") and isinstance(value, Mapping):
        raise at.error(line, key, "must be a list or a template giving one, got a mapping")
    at.jinja(value, line, key)
    return plain_data(value)


def loop_control(at: SourceFile, data: LocatedMap, loop_keyword: str | None) -> tuple[str, str | None]:
    if "loop_control" not in data:
        return "item", None
    control = data["loop_control"]
    line = data.line_of("loop_control")
    if loop_keyword is None:
        raise at.error(line, "loop_control", "loop_control without loop or with_<lookup>")
    if not isinstance(control, LocatedMap):
        raise at.error(line, "loop_control", "must be a mapping")
    for key in control:
        if key not in LOOP_CONTROL_KEYS:
            at.unsupported(control.line_of(key), f"loop_control.{key}", f"unsupported loop_control key {key!r}")
    loop_var = at.identifier(control, "loop_var") if "loop_var" in control else "item"
    index_var = at.identifier(control, "index_var") if "index_var" in control else None
    return loop_var, index_var


def located_args(
    at: SourceFile, value: Any, line: int, key: str, free_form: str | None, params: Iterable[str], what: str
) -> list[tuple[str, Any, int]]:
    """Arguments as (name, value, line): from a mapping, or from `key=value` words (and free-form text)."""
    if isinstance(value, LocatedMap):
        return [(str(name), item, value.line_of(name)) for name, item in value.items()]
    if isinstance(value, str):
        try:
            inline = parse_inline_args(value, free_form, set(params))
        except ValueError as exc:
            raise at.error(line, key, str(exc)) from None
        return [(name, item, line) for name, item in inline.items()]
    if value is not None:
        raise at.error(line, key, f"{what} must be a mapping or a key=value string")
    return []


def action_args(at: SourceFile, data: LocatedMap, key: str, spec: ActionSpec) -> tuple[dict[str, Any], dict[str, int]]:
    """The arguments of an action or import: a mapping, `key=value` words or free-form text."""
    value = data[key]
    line = data.line_of(key)
    free_form = None if spec.any_keys else spec.free_form
    raw: list[tuple[str, Any, int]]
    if free_form is not None and isinstance(value, str) and value.split() and "=" not in value.split()[0]:
        raw = [(free_form, value.strip(), line)]
    else:
        raw = located_args(at, value, line, key, free_form, () if spec.any_keys else spec.params, "arguments")
    if "args" in data and isinstance(data["args"], LocatedMap):
        raw.extend((str(name), item, data["args"].line_of(name)) for name, item in data["args"].items())
    args: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for name, item, item_line in raw:
        if spec.any_keys:
            if name == "cacheable":
                continue
            if is_templated(name):
                at.jinja(name, item_line, f"{key}.{name}")  # a name rendered per host and item, as in Ansible
            elif not is_variable_name(name):
                raise at.error(item_line, f"{key}.{name}", "a variable name must be an identifier")
        elif name not in spec.params:
            at.unsupported(item_line, f"{key}.{name}", f"unsupported parameter {name!r} for {key}")
            continue
        at.jinja(item, item_line, f"{key}.{name}")
        args[name] = plain_data(item)
        lines[name] = item_line
    for name in spec.required:
        if name not in args:
            raise at.error(line, key, f"missing required parameter {name!r}")
    return args, lines


def include_apply(at: SourceFile, data: LocatedMap, task: Task) -> LocatedMap | None:
    """include_tasks / include_role `apply`: the keywords its tasks get, as a block's (see steps.applied)."""
    if task.module not in INCLUDE_ACTIONS:
        return None
    holders = [value for key, value in data.items() if key == "args" or canonical_name(str(key)) == task.module]
    apply = next((h["apply"] for h in holders if isinstance(h, LocatedMap) and "apply" in h), None)
    if apply is None:
        return None
    if not isinstance(apply, LocatedMap):
        raise at.error(task.line_of("apply"), f"{task.module}.apply", "must be a mapping of keywords")
    return apply


def include_keywords(at: SourceFile, task: Task) -> None:
    """Refuse, as ansible-core does, a keyword an include does not take (`run_once`: not supported yet)."""
    for word, line in task.keyword_lines.items():
        if word == "run_once":
            at.unsupported(line, word, f"run_once on {task.module} is not supported (use apply: run_once)")
        elif word in TASK_KEYWORDS and word not in INCLUDE_KEYWORDS:
            raise at.error(
                line, word, f"{word!r} is not a valid keyword for {task.module} (`apply` gives it to its tasks)"
            )


def check_action(at: SourceFile, task: Task, inherit: Inherit, handler: bool, apply: LocatedMap | None = None) -> Task:
    line = task.line_of(task.module)
    if task.module == "meta":
        word = task.args.get("free_form")
        if word not in META_ACTIONS:
            problem = f"unsupported meta action {word!r} (supported: {', '.join(META_ACTIONS)})"
            return replace(task, unsupported=(at.error(line, "meta", problem),))
        return task
    if task.module == "assert":
        that = task.args["that"]
        conditions = that if isinstance(that, list) else [that]
        for condition in conditions:
            try:
                at.templar.check_condition_syntax(condition if isinstance(condition, str | bool) else str(condition))
            except TemplateError as exc:
                raise at.error(task.line_of("that"), "assert.that", exc.problem) from None
        return replace(
            task,
            args={
                **task.args,
                "that": [at.templar.condition_expression(str(c)) if not isinstance(c, bool) else c for c in conditions],
            },
        )
    if task.module in ("include_tasks", "include_role") and handler:
        problem = f"{task.module} in handlers is not supported"
        return replace(task, unsupported=(at.error(line, task.module, problem),))
    if task.module == "include_tasks":
        return replace(task, includes=steps.include_candidates(at, task, inherit, apply))
    if task.module == "include_role":
        name = task.args["name"]
        if not isinstance(name, str) or is_templated(name):
            raise at.error(task.line_of("name"), "include_role.name", "must be a role name (not templated)")
        parts = {
            p: str(task.args[p])
            for p in ("tasks_from", "vars_from", "defaults_from", "handlers_from")
            if p in task.args
        }
        handlers: list[Task] = []
        before = len(at.state.problems)
        try:
            role_content = roles.role_steps(
                at,
                name,
                line,
                "include_role",
                steps.applied(at, apply, replace(inherit, tags=(), when=())),
                task.vars,
                public=False,
                parts=parts,
                dedupe=False,
                handlers_out=handlers,
            )
        except InputError as exc:
            at.state.problems.append(exc)
            role_content = []
        at.state.role_handlers.extend(handlers)
        failed = at.state.problems[before] if len(at.state.problems) > before else None
        return replace(task, includes={name: Included(tuple(role_content), tuple(handlers), failed)})
    if task.module == "include_vars":
        return replace(task, var_files=steps.vars_candidates(at, task, inherit))
    return task


def module_args(at: SourceFile, data: LocatedMap, key: str, module: Module) -> tuple[dict[str, Any], dict[str, int]]:
    """The module's arguments (the `args` keyword, then the module's own, which win) and their lines."""
    raw: list[tuple[str, Any, int]] = []
    if "args" in data:
        extra = data["args"]
        if not isinstance(extra, LocatedMap):
            raise at.error(data.line_of("args"), "args", "must be a mapping of module arguments")
        raw.extend((str(name), value, extra.line_of(name)) for name, value in extra.items())
    raw.extend(located_args(at, data[key], data.line_of(key), key, module.free_form, module.params, "module arguments"))
    aliases = {alias: name for name, param in module.params.items() for alias in param.aliases}
    args: dict[str, Any] = {}
    lines: dict[str, int] = {}
    written: dict[str, str] = {}
    for name, item, item_line in raw:
        if name.startswith("_"):
            raise at.error(item_line, f"{module.name}.{name}", f"unknown parameter for {module.name}")
        canonical = aliases.get(name, name)
        if canonical not in module.params:
            at.unsupported(
                item_line,
                f"{module.name}.{name}",
                f"unknown parameter for {module.name}; it accepts: {known_params(module)}",
            )
            continue
        if canonical in written and written[canonical] != name:
            raise at.error(
                item_line, f"{module.name}.{name}", f"{written[canonical]!r} and {name!r} name the same parameter"
            )
        written[canonical] = name
        at.jinja(item, item_line, f"{module.name}.{canonical}")
        args[canonical] = plain_data(item)
        lines[canonical] = item_line
    return args, lines


def check_args(at: SourceFile, task: Task, module: Module) -> None:
    """Validate the arguments known at load time, and find the controller files they name."""
    try:
        validate_params(module, task.args, partial=True)
    except ParamError as exc:
        raise at.error(task.line_of(exc.field), f"{module.name}.{exc.field}", exc.problem) from None
    src = task.args.get("src")
    if module.name not in CONTROLLER_FILE_DIRS or not isinstance(src, str) or is_templated(src):
        return
    if task.loop_keyword == "with_first_found":
        return  # the run picks the file
    found = find_task_file(task, module.name, src, at.base_dir)
    if found is None:
        searched = ", ".join(
            display_path(path, at.base_dir, at.state.playbook_source)
            for path in task_file_candidates(task, CONTROLLER_FILE_DIRS[module.name], src, at.base_dir)
        )
        raise at.error(task.line_of("src"), f"{module.name}.src", f"file not found: {src!r} (searched {searched})")
    at.use(found, task.line_of("src"), f"{module.name}.src")
    if module.name == "template":
        shown = display_path(found, at.base_dir, at.state.playbook_source)
        try:
            at.templar.check_file_syntax(found, shown)
        except UnsupportedLookupError as exc:
            at.unsupported_problem(template_problem(exc, task, shown))  # the task fails where it runs
        except TemplateError as exc:
            raise template_problem(exc, task, shown) from None


def template_problem(exc: TemplateError, task: Task, shown: str) -> InputError:
    """A template file's problem at the file's own line, naming the task that renders it."""
    return InputError(exc.template or shown, exc.line, None, f"{exc.problem} (template of the task at {task.origin})")
