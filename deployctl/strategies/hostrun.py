"""Run a play's tasks on one host: render, read facts (batched), plan, apply the changes, register.

The host's facts for every task of a play are read in one round trip before the first task; a
changed task usually costs one more. To know the later tasks' parameters, the lookahead walks the
play in run order on the controller, evaluating set_fact, include_vars, includes and their `when`
as the run will (what depends on the host, like a command's registered output, is left for later).
Facts that a change makes stale are read again only when a later task needs them. Planning is the
modules' pure functions; this runner does the I/O, through a Transport it is given, and knows nothing
of SSH.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployctl.errors import ConnectionFailedError, DeployctlError, InputError
from deployctl.facts.ansible import ANSIBLE_FACTS_KEY, AnsibleFacts, fact_variables
from deployctl.facts.base import Fact, FactBatch, batch
from deployctl.lookups import LookupFailure, LookupUsageError
from deployctl.model.factreads import reads_facts
from deployctl.model.inventory import InventoryHost
from deployctl.model.playbook import (
    Block,
    Included,
    Play,
    Playbook,
    Step,
    Task,
    find_task_file,
    first_found,
    include_vars_values,
    included_content,
    task_variables,
)
from deployctl.modules.base import Module, Plan
from deployctl.modules.params import ParamError, validate_params
from deployctl.modules.registry import find_module
from deployctl.redaction import HIDDEN_ITEM, RedactionRules
from deployctl.strategies.actions import compose_steps
from deployctl.strategies.resultredaction import ResultRedaction, result_redaction
from deployctl.strategies.results import Status, TaskResult
from deployctl.templating import Templar, TemplateError, mark_unsafe
from deployctl.transport.base import CommandStoppedError, Result, Transport, shell
from deployctl.transport.local import LocalTransport

CONTROLLER_SOURCES = ("copy", "template")
UNIT_DIR_MARK = "/systemd/"
"""A file fact whose path has this part is a systemd unit (or drop-in): changing it stales service facts."""
LOOKAHEAD_ERRORS = (DeployctlError, TemplateError, KeyError, TypeError, LookupFailure, LookupUsageError)
"""What rendering a task ahead of its turn may raise: it then waits for the run."""
OUTPUT_LIMIT = 64 * 1024
"""At most this much of a command's stdout and stderr is kept in results."""

Emit = Callable[[TaskResult], None]


@dataclass(frozen=True)
class RunOptions:
    """How tasks run: check mode, diffs, tag selection (empty `tags` means every task), what results hide."""

    check: bool = False
    diff: bool = False
    tags: frozenset[str] = frozenset()
    skip_tags: frozenset[str] = frozenset()
    redaction: RedactionRules = field(default_factory=RedactionRules)

    def selects(self, task: Task) -> bool:
        """Ansible's tag rules: `always` runs unless skipped, `never` only when asked for."""
        tags = set(task.tags)
        if tags & self.skip_tags:
            return False
        if not self.tags or "all" in self.tags:
            return "never" not in tags or bool(tags & self.tags)
        return bool(tags & (self.tags | {"always"}))


class TaskError(DeployctlError):
    """A task failed on a host for a reason the user can read (bad value, missing file...)."""


@dataclass
class _Walk:
    """The controller-side state the lookahead carries through a play: set_fact, include_vars, include params."""

    registered: dict[str, Any]
    included: dict[str, Any]
    params: dict[str, Any]
    facts: list[Fact[Any]] = field(default_factory=list)


@dataclass
class _Outcome:
    status: Status
    message: str
    plan: Plan | None = None
    output: dict[str, Any] = field(default_factory=dict)


def _clip(text: str) -> str:
    return text if len(text) <= OUTPUT_LIMIT else text[:OUTPUT_LIMIT] + "\n[... cut]"


class HostRunner:
    """Runs plays on one host through one transport, keeping its facts and registered variables."""

    def __init__(
        self,
        host: InventoryHost,
        transport: Transport,
        playbook: Playbook,
        run_vars: Mapping[str, Any],
        options: RunOptions,
        emit: Emit,
        modules: Mapping[str, Module] | None = None,
        templar: Templar | None = None,
        fact_hint: Mapping[str, Any] | None = None,
    ) -> None:
        self.host = host
        self.fact_hint = fact_hint  # last run's gathered facts: only to look ahead before gathering
        self.transport = transport
        self.playbook = playbook
        self.templar: Templar = templar or playbook.templar()  # shared: templates compile once per run
        self.run_vars = run_vars
        self.options = options
        self.emit = emit
        self.modules = modules
        self.facts: dict[str, Any] = {}
        self.known_facts: dict[str, Fact[Any]] = {}
        self.stale: set[str] = set()
        self.secret_values: set[str] = set()  # every secret value a task saw: drift's parity facts hide them
        self.registered: dict[str, Any] = {}
        self.gathered: dict[str, Any] = {}
        self.included_vars: dict[str, Any] = {}
        self.include_params: dict[str, Any] = {}
        self.lookahead: Play | None = None
        self.local: LocalTransport | None = None
        self.round_trips = 0
        self.failed = False
        self.ended = False
        self.rescuable = 0
        self.deadline: float | None = None  # the running task's `timeout:`, on the monotonic clock

    # --- plays -------------------------------------------------------------------------------------

    def run_play(self, play: Play) -> None:
        """Run every selected task of the play, flushing notified handlers after each section."""
        self.ended = False
        self.included_vars = {}
        self._prefetch(play)
        self.lookahead = play
        notified: list[str] = []
        for _section, steps in play.section_steps():
            if not self._run_steps(play, steps, notified):
                self.failed = True
                return
            if self.ended:
                return
            self._flush_handlers(play, notified)
            if self.failed:
                return

    def _run_steps(self, play: Play, steps: tuple[Step, ...], notified: list[str]) -> bool:
        """Run steps in order; False at the first failure that is not ignored (blocks rescue theirs)."""
        for step in steps:
            if self.ended:
                return True
            if isinstance(step, Block):
                if not self._run_block(play, step, notified):
                    return False
                continue
            if not self.options.selects(step):
                continue
            if step.module in ("include_tasks", "include_role"):
                if not self._include(play, step, notified):
                    return False
                continue
            if step.module == "meta" and step.args.get("free_form") in ("flush_handlers", "end_host"):
                if step.args["free_form"] == "end_host":
                    self.ended = True
                    return True
                self._flush_handlers(play, notified)
                if self.failed:
                    return False
                continue
            result = self._run(play, step, handler=False)
            if result.status == "changed":
                notified.extend(name for name in step.notify if name not in notified)
            if result.status in ("failed", "unreachable") and (not result.ignored or not step.ignore_errors):
                return False
        return True

    def _run_block(self, play: Play, block: Block, notified: list[str]) -> bool:
        """A failure in `block` runs `rescue` (which clears it when it succeeds); `always` runs anyway."""
        self.rescuable += 1 if block.rescue else 0  # a failure the rescue handles is not the host's failure
        try:
            succeeded = self._run_steps(play, block.block, notified)
        finally:
            self.rescuable -= 1 if block.rescue else 0
        if not succeeded and block.rescue:
            succeeded = self._run_steps(play, block.rescue, notified)
        always = self._run_steps(play, block.always, notified) if block.always else True
        return succeeded and always

    def _include(self, play: Play, task: Task, notified: list[str]) -> bool:
        """include_tasks / include_role: pick the file (or role) for this host and run its steps."""
        started = time.monotonic()
        scope = self._scope(play, task)
        try:
            if task.when and not all(self.templar.evaluate(condition, scope) for condition in task.when):
                return True
            items: list[Any] = [None] if task.loop is None else self._loop_items(task, scope)
            for index, item in enumerate(items):
                extra = {} if task.loop is None else {task.loop_var: item}
                if task.index_var:
                    extra[task.index_var] = index
                included = self._included(task, {**scope, **extra})
                saved = self.include_params
                self.include_params = {**saved, **task.vars, **extra}
                try:
                    ok = self._run_steps(play, included.steps, notified)
                finally:
                    self.include_params = saved
                if not ok:
                    return False
        except (TemplateError, TaskError, InputError) as error:
            outcome = _Outcome("failed", self._located(task, error))
            result = self._result(play, task, outcome, False, started, self._shown(task, scope))
            self.emit(result)
            return result.ignored
        return True

    def _included(self, task: Task, scope: Mapping[str, Any]) -> Included:
        name = "" if task.module == "include_role" else str(self.templar.render(task.args.get("file", ""), scope))
        found = included_content(task, name, self.playbook.base_dir)
        if found is None:
            raise TaskError(f"include_tasks: no file {name!r} (among {', '.join(task.includes) or 'none'})")
        if found.problem is not None:
            raise TaskError(f"included content cannot run: {found.problem}")
        return found

    def _loop_items(self, task: Task, scope: Mapping[str, Any]) -> list[Any]:
        rendered = self.templar.render(task.loop, scope)
        if task.loop_keyword != "with_first_found":
            return task.loop_items(rendered)
        try:
            return list(first_found(task, task.loop_items(rendered), self.playbook.base_dir))
        except (LookupFailure, LookupUsageError) as exc:
            raise TaskError(str(exc)) from None

    def _flush_handlers(self, play: Play, notified: list[str]) -> None:
        if not notified:
            return
        for handler in play.handlers:
            if handler.name in notified or set(handler.listen) & set(notified):
                result = self._run(play, handler, handler=True)
                if result.status in ("failed", "unreachable") and not result.ignored:
                    self.failed = True
                    break
        notified.clear()

    # --- facts -------------------------------------------------------------------------------------

    def _fact_become(self, play: Play) -> bool:
        return play.become or any(task.become for task in play.all_tasks())

    def _gather(self, facts: list[Fact[Any]], become: bool) -> None:
        """Read the facts not known or stale; every other stale fact is refreshed in the same round trip."""
        for fact in facts:
            self.known_facts.setdefault(fact.key, fact)
        needed = [fact for fact in facts if fact.key not in self.facts or fact.key in self.stale]
        if not needed:
            return
        if self.lookahead is not None:
            for fact in self._play_facts(self.lookahead):  # stale ones too: refreshed below, once
                self.known_facts.setdefault(fact.key, fact)
                if fact.key not in self.facts:
                    needed.append(fact)
        needed += [self.known_facts[key] for key in sorted(self.stale) if key in self.known_facts]
        facts_batch: FactBatch[Any] = batch(needed)
        result = self._exec(shell(facts_batch.script()), become=become, become_user=None)
        try:
            values = facts_batch.split(result.stdout)
        except ValueError as exc:
            detail = result.stderr.strip().splitlines()
            raise TaskError(f"reading facts failed: {exc}: {detail[-1] if detail else 'no output'}") from None
        self.facts.update(values)
        self.stale -= set(values)

    def _prefetch(self, play: Play) -> None:
        """Read, in one round trip, Ansible's facts (gather_facts) and the facts of every task renderable now."""
        self.lookahead = None
        gather = play.gather_facts and not self.gathered and self._reads_facts(play)
        guessing = bool(gather and self.fact_hint)
        if guessing:  # look ahead with last run's facts: reads the facts that fact-chosen content needs now
            self.gathered = mark_unsafe(dict(self.fact_hint or {}))  # read from a host: data
        try:
            facts = self._play_facts(play)
        finally:
            if guessing:
                self.gathered = {}
        if gather:
            facts.insert(0, AnsibleFacts())
        self._gather(facts, self._fact_become(play))
        if ANSIBLE_FACTS_KEY in self.facts:  # gathered once per run, as Ansible does; never staled
            self.gathered = fact_variables(self.facts.pop(ANSIBLE_FACTS_KEY))
            self.known_facts.pop(ANSIBLE_FACTS_KEY, None)

    def _reads_facts(self, play: Play) -> bool:
        """Whether the play can read a gathered fact (see deployctl.model.factreads); else none is gathered."""
        return reads_facts(play, self.templar, self.playbook.base_dir, {**self.host.vars, **self.run_vars})

    def _play_facts(self, play: Play) -> list[Fact[Any]]:
        """The facts of every task whose arguments can be rendered with what is known now.

        The play's steps are walked in run order from the state known now: set_fact, include_vars and
        includes are evaluated as the run will, so later tasks render with their values. What cannot
        be evaluated (it reads a command's registered output...) is left out, and read when it runs.
        """
        walk = _Walk(dict(self.registered), dict(self.included_vars), dict(self.include_params))
        for _section, steps in play.section_steps():
            self._walk_steps(play, steps, walk)
        self._walk_steps(play, play.handlers, walk, handlers=True)
        return walk.facts

    def _walk_steps(self, play: Play, steps: Sequence[Step], walk: _Walk, *, handlers: bool = False) -> None:
        for step in steps:
            if isinstance(step, Block):
                self._walk_steps(play, (*step.block, *step.rescue, *step.always), walk)
            elif handlers or self.options.selects(step):
                self._walk_task(play, step, walk)

    def _walk_task(self, play: Play, task: Task, walk: _Walk) -> None:
        """One task of the lookahead: its facts, or what it defines for the tasks after it."""
        scope = self._scope(play, task, walk)
        try:
            items: list[Any] = [None] if task.loop is None else self._loop_items(task, scope)
        except LOOKAHEAD_ERRORS:
            items = []
        if task.module in ("include_tasks", "include_role"):
            self._walk_include(play, task, scope, items, walk)
        elif task.module in ("set_fact", "include_vars"):
            self._walk_definitions(task, scope, items, walk)
        elif not task.is_action and not task.delegate_to:
            module = self._module(task)
            for item in items:
                try:
                    item_scope = scope if task.loop is None else {**scope, task.loop_var: item}
                    walk.facts.extend(module.facts(self._params(task, module, item_scope, with_content=False)))
                except LOOKAHEAD_ERRORS:
                    continue  # depends on what the run registers; read when the task runs
        if task.register and task.module != "set_fact" and task.register not in self.registered:
            walk.registered.pop(task.register, None)  # known only once the task has run on the host

    def _walk_definitions(self, task: Task, scope: Mapping[str, Any], items: list[Any], walk: _Walk) -> None:
        """set_fact and include_vars in the lookahead: their values for the later tasks, unless unknown."""
        for item in items or [None]:
            item_scope = scope if task.loop is None else {**scope, task.loop_var: item}
            try:
                if not items or not self._when(task, item_scope):
                    raise TaskError("not known now")
                if task.module == "set_fact":
                    walk.registered.update(mark_unsafe(self.templar.render(dict(task.args), item_scope)))
                else:
                    walk.included.update(self._vars_to_include(task, item_scope)[1])
            except LOOKAHEAD_ERRORS:
                if task.module == "set_fact":
                    for name in task.args:
                        walk.registered.pop(name, None)

    def _walk_include(self, play: Play, task: Task, scope: Mapping[str, Any], items: list[Any], walk: _Walk) -> None:
        """An include in the lookahead: the file (or role) it picks, or every candidate when that is unknown."""
        saved = walk.params
        for index, item in enumerate(items or [None]):
            extra = {} if task.loop is None else {task.loop_var: item}
            if task.index_var:
                extra[task.index_var] = index
            walk.params = {**saved, **task.vars, **extra}
            try:
                if not self._when(task, {**scope, **extra}):
                    continue
                chosen: list[Included] = [self._included(task, {**scope, **extra})] if items else []
            except LOOKAHEAD_ERRORS:
                chosen = []
            for included in chosen or list(task.includes.values()):
                self._walk_steps(play, included.steps, walk)
        walk.params = saved

    # --- tasks -------------------------------------------------------------------------------------

    def _module(self, task: Task) -> Module:
        module = find_module(task.module, self.modules)
        if module is None:  # the loader refuses unknown modules; this is a bug if it happens
            raise AssertionError(f"unknown module {task.module}")
        return module

    def _scope(self, play: Play, task: Task, walk: _Walk | None = None) -> dict[str, Any]:
        """Variables for a task with Ansible's precedence (see `task_variables`), include params on top.

        With `walk`, the lookahead's set_fact, include_vars and include params stand for the run's.
        """
        params = walk.params if walk is not None else self.include_params
        scope = task_variables(
            play,
            task,
            self.host.vars,
            facts=self.gathered,
            magic=self.run_vars,
            included=walk.included if walk is not None else self.included_vars,
            host_facts=walk.registered if walk is not None else self.registered,
        )
        return {**scope, **params} if params else scope

    def _when(self, task: Task, scope: Mapping[str, Any]) -> bool:
        return all(self.templar.evaluate(condition, scope) for condition in task.when)

    def _params(self, task: Task, module: Module, scope: Mapping[str, Any], with_content: bool) -> dict[str, Any]:
        args = self.templar.render(dict(task.args), scope)
        params = validate_params(module, args)
        if module.name in CONTROLLER_SOURCES and params.get("src"):
            source = find_task_file(task, module.name, str(params["src"]), self.playbook.base_dir)
            if source is None:
                raise TaskError(f"{module.name} src {params['src']!r} not found")
            params["_src_name"] = Path(str(params["src"])).name
            if with_content:
                if module.name == "template":
                    params["_content"] = self.templar.render_file(source, scope, self.playbook.display(source))
                else:
                    params["_content"] = source.read_bytes()
        return params

    def _run(self, play: Play, task: Task, *, handler: bool) -> TaskResult:
        started = time.monotonic()
        become = task.become if task.become is not None else play.become
        become_user = task.become_user or play.become_user
        scope = self._scope(play, task)
        shown = self._shown(task, scope)
        items: list[TaskResult] = []
        try:
            if task.loop is None:
                outcome = self._run_once(play, task, scope, become, become_user)
            else:
                loop_items = self._loop_items(task, scope)
                outcomes = []
                for index, item in enumerate(loop_items):
                    item_scope = {**scope, task.loop_var: item, **({task.index_var: index} if task.index_var else {})}
                    item_outcome = self._run_once(play, task, item_scope, become, become_user)
                    outcomes.append(item_outcome)
                    label = HIDDEN_ITEM if shown.no_log else repr(item)
                    items.append(self._result(play, task, item_outcome, handler, started, shown, label=label))
                outcome = self._combine(task, outcomes, loop_items)
        except ConnectionFailedError as error:
            outcome = _Outcome("unreachable", str(error))
        except CommandStoppedError as error:
            outcome = _Outcome("failed", self._stopped(task, error))
        except (TemplateError, ParamError, TaskError) as error:
            outcome = _Outcome("failed", self._located(task, error))
        except InputError as error:
            outcome = _Outcome("failed", str(error))
        finally:
            self.deadline = None  # reading facts for the next play is bound by no task's timeout
        result = self._result(play, task, outcome, handler, started, shown, items=tuple(items))
        self.emit(result)
        return result

    def _stopped(self, task: Task, error: CommandStoppedError) -> str:
        """A stopped command's message; past the task's `timeout:`, Ansible's words for it."""
        if error.timed_out and task.timeout is not None:
            return (
                f"{task.origin}: timed out after {task.timeout} s (the task's timeout): `{error.command}` was stopped"
            )
        return f"{task.origin}: {error}"

    def _located(self, task: Task, error: Exception) -> str:
        if isinstance(error, ParamError):
            return f"{task.origin.source}:{task.line_of(error.field)}: {error.field}: {error.problem}"
        if isinstance(error, TemplateError) and error.template:
            return str(error)
        return f"{task.origin}: {error}"

    def _result(
        self,
        play: Play,
        task: Task,
        outcome: _Outcome,
        handler: bool,
        started: float,
        shown: ResultRedaction,
        *,
        items: tuple[TaskResult, ...] = (),
        label: str | None = None,
    ) -> TaskResult:
        plan = outcome.plan
        result = TaskResult(
            host=self.host.name,
            play=play.name,
            task=task.name if label is None else f"{task.name} ({label})",
            module=task.module,
            status=outcome.status,
            message=outcome.message,
            origin=str(task.origin),
            diffs=plan.diffs if plan is not None and outcome.status in ("changed", "ok") else (),
            ignored=outcome.status == "failed" and (task.ignore_errors or self.rescuable > 0),
            handler=handler,
            seconds=round(time.monotonic() - started, 4),
            items=items,
            output=outcome.output,
        )
        return shown.apply(result)

    def _shown(self, task: Task, scope: Mapping[str, Any]) -> ResultRedaction:
        """What the task's results may show here (see `result_redaction`); facts and other hosts' vars aside."""

        def render(value: Any) -> Any:
            try:
                return self.templar.render(value, scope)
            except LOOKAHEAD_ERRORS:
                return value

        skipped = {*self.gathered, "hostvars", "groups"}
        variables = {name: value for name, value in scope.items() if name not in skipped}
        shown = result_redaction(task.no_log, task.diff, variables, self.options.redaction, render)
        self.secret_values.update(shown.redactor.values)
        return shown

    def _combine(self, task: Task, outcomes: list[_Outcome], loop_items: list[Any]) -> _Outcome:
        results = [
            {**o.output, "item": item, task.loop_var: item, "changed": o.status == "changed"}
            for o, item in zip(outcomes, loop_items, strict=True)
        ]
        registered = {"results": results, "changed": any(r["changed"] for r in results), "msg": "All items completed"}
        failed = [o for o in outcomes if o.status in ("failed", "unreachable")]
        if task.register:
            self.registered[task.register] = mark_unsafe({**registered, "failed": bool(failed), "skipped": False})
        if any(o.status == "unreachable" for o in outcomes):
            return _Outcome("unreachable", failed[0].message)
        if failed:
            return _Outcome("failed", failed[0].message, output=registered)
        if not outcomes or all(o.status == "skipped" for o in outcomes):
            return _Outcome("skipped", "no items" if not outcomes else "skipped for every item", output=registered)
        changed = [o for o in outcomes if o.status == "changed"]
        message = "; ".join(o.message for o in changed) if changed else f"{len(outcomes)} items unchanged"
        if task.is_action:
            message = "; ".join(o.message for o in outcomes)
        return _Outcome("changed" if changed else "ok", message, output=registered)

    def _run_once(
        self, play: Play, task: Task, scope: dict[str, Any], become: bool, become_user: str | None
    ) -> _Outcome:
        self.deadline = None if task.timeout is None else time.monotonic() + task.timeout
        if task.when and not all(self.templar.evaluate(condition, scope) for condition in task.when):
            outcome = _Outcome("skipped", "conditional result was False")
            self._register(task, outcome, skipped=True)
            return outcome
        if task.is_action:
            outcome = self._judge(task, scope, self._action(task, scope))
            self._register(task, outcome)
            return outcome
        module = self._module(task)
        params = self._params(task, module, scope, with_content=True)
        facts = list(module.facts(params))
        if task.delegate_to:
            local_facts = self._local_facts(facts, become)
        else:
            self._gather(facts, become)
        known = local_facts if task.delegate_to else self.facts
        plan = module.plan(params, {fact.key: known[fact.key] for fact in facts})
        output: dict[str, Any] = dict(plan.result)
        check = self.options.check if task.check_mode is None else task.check_mode
        if plan.failed is not None:
            outcome = _Outcome("failed", plan.failed, plan, output)
        elif not plan.changed:
            outcome = _Outcome("ok", plan.summary, plan, output)
        elif check:
            if plan.captures_output:
                outcome = _Outcome("skipped", "would run (command tasks do not run in check mode)", plan, output)
            else:
                outcome = _Outcome("changed", plan.summary, plan, output)
        else:
            outcome = self._apply(task, module, plan, become, become_user)
        outcome = self._judge(task, scope, outcome)
        self._register(task, outcome)
        return outcome

    def _apply(self, task: Task, module: Module, plan: Plan, become: bool, become_user: str | None) -> _Outcome:
        output: dict[str, Any] = dict(plan.result)
        last: Result | None = None
        for step in compose_steps(plan.actions):
            if task.delegate_to:
                local = self._local()
                last = local.run(
                    list(step.command), become=become, become_user=become_user, stdin=step.stdin, timeout=self._left()
                )
            else:
                last = self._exec(list(step.command), become=become, become_user=become_user, stdin=step.stdin)
            if not last.ok and not plan.captures_output:
                self._invalidate(module, plan, task)
                reason = (last.stderr or last.stdout).strip().splitlines()
                return _Outcome("failed", f"{plan.summary}: exit {last.exit_code}: {reason[-1] if reason else ''}")
        self._invalidate(module, plan, task)
        if plan.captures_output and last is not None:
            output.update(
                rc=last.exit_code,
                stdout=_clip(last.stdout.rstrip("\n")),
                stderr=_clip(last.stderr.rstrip("\n")),
                stdout_lines=_clip(last.stdout).splitlines(),
                stderr_lines=_clip(last.stderr).splitlines(),
                cmd=last.command,
            )
            if not last.ok:
                problem = last.stderr.strip().splitlines()
                detail = problem[-1] if problem else "no output"
                return _Outcome("failed", f"non-zero return code {last.exit_code}: {detail}", plan, output)
        return _Outcome("changed", plan.summary, plan, output)

    # --- controller-side actions and delegated steps ------------------------------------------------

    def _action(self, task: Task, scope: dict[str, Any]) -> _Outcome:
        """set_fact, include_vars, debug, fail, assert, meta: no module, nothing changes on the host."""
        if task.module == "set_fact":
            values = self.templar.render(dict(task.args), scope)
            self.registered.update(mark_unsafe(values))
            return _Outcome("ok", ", ".join(f"{name} set" for name in values), output={"ansible_facts": values})
        if task.module == "include_vars":
            return self._include_vars(task, scope)
        if task.module == "debug":
            if "var" in task.args:
                name = str(task.args["var"])
                value = self.templar.render("{{ " + name + " }}", scope)
                return _Outcome("ok", f"{name}: {value!r}", output={name: value})
            message = self.templar.render(task.args.get("msg", "Hello world!"), scope)
            return _Outcome("ok", str(message), output={"msg": message})
        if task.module == "fail":
            return _Outcome("failed", str(self.templar.render(task.args.get("msg", "Failed as requested"), scope)))
        if task.module == "assert":
            for condition in task.args["that"]:
                if not self.templar.evaluate(condition, scope):
                    default = f"Assertion failed: {condition}"
                    message = task.args.get("fail_msg", task.args.get("msg", default))
                    return _Outcome("failed", str(self.templar.render(message, scope)), output={"assertion": condition})
            return _Outcome(
                "ok", str(self.templar.render(task.args.get("success_msg", "All assertions passed"), scope))
            )
        return _Outcome("ok", f"meta: {task.args.get('free_form')}")

    def _vars_to_include(self, task: Task, scope: Mapping[str, Any]) -> tuple[Path, dict[str, Any]]:
        """The file an include_vars task loads for this host, and the variables it defines."""
        name = str(self.templar.render(task.args.get("file", ""), scope))
        path = find_task_file(task, task.module, name, self.playbook.base_dir) if name else None
        if path is None:
            raise TaskError(f"include_vars: no file {name!r}")
        values = include_vars_values(task, path, self.playbook.display(path))
        return path, ({str(task.args["name"]): dict(values)} if task.args.get("name") else dict(values))

    def _include_vars(self, task: Task, scope: dict[str, Any]) -> _Outcome:
        path, loaded = self._vars_to_include(task, scope)
        self.included_vars.update(loaded)
        return _Outcome(
            "ok", f"{self.playbook.display(path)}: {', '.join(sorted(loaded))}", output={"ansible_facts": loaded}
        )

    def _local(self) -> LocalTransport:
        if self.local is None:
            self.local = LocalTransport()
        return self.local

    def _local_facts(self, facts: list[Fact[Any]], become: bool) -> dict[str, Any]:
        """The facts of a step delegated to this machine: read here, never cached with the host's."""
        if not facts:
            return {}
        facts_batch: FactBatch[Any] = batch(facts)
        result = self._local().run(shell(facts_batch.script()), become=become)
        try:
            return facts_batch.split(result.stdout)
        except ValueError as exc:
            raise TaskError(f"reading local facts failed: {exc}") from None

    def _invalidate(self, module: Module, plan: Plan, task: Task) -> None:
        """Mark facts stale after a change; commands can change anything, so they stale everything.

        Facts derived from other state are staled with it: a written unit file changes what systemd
        reports, an apt run changes other packages (dependencies), a daemon-reload every service.
        """
        if task.delegate_to:
            return  # this machine changed, not the host
        self.stale |= set(plan.invalidates)
        if any(key.startswith("file:") and UNIT_DIR_MARK in key for key in plan.invalidates):
            self.stale |= {key for key in self.facts if key.startswith("service:")}
        if plan.captures_output:
            self.stale |= set(self.facts)
        elif module.name in ("apt", "package"):
            self.stale |= {key for key in self.facts if key.startswith(("package:", "candidate:"))}
        elif module.name in ("systemd", "service"):
            self.stale |= {key for key in self.facts if key.startswith("service:")}

    def _judge(self, task: Task, scope: dict[str, Any], outcome: _Outcome) -> _Outcome:
        """Apply `failed_when` and `changed_when`, which see the registered result of this task."""
        if task.failed_when is None and task.changed_when is None:
            return outcome
        if outcome.status == "skipped":
            return outcome
        result = self._registered_value(outcome)
        judged = {**scope, **({task.register: mark_unsafe(result)} if task.register else {})}
        status = outcome.status
        message = outcome.message
        if task.changed_when is not None and status in ("ok", "changed"):
            status = "changed" if all(self.templar.evaluate(c, judged) for c in task.changed_when) else "ok"
        if task.failed_when is not None and outcome.status != "unreachable":
            failing = all(self.templar.evaluate(c, judged) for c in task.failed_when)
            if failing:
                status, message = "failed", f"failed_when matched: {' and '.join(task.failed_when)}"
            elif status == "failed":
                status = "changed" if outcome.plan is not None and outcome.plan.changed else "ok"
        return _Outcome(status, message, outcome.plan, outcome.output)

    def _registered_value(self, outcome: _Outcome, skipped: bool = False) -> dict[str, Any]:
        return {
            **outcome.output,
            "changed": outcome.status == "changed",
            "failed": outcome.status == "failed",
            "skipped": skipped or outcome.status == "skipped",
            "msg": outcome.message,
        }

    def _register(self, task: Task, outcome: _Outcome, skipped: bool = False) -> None:
        if task.register and task.loop is None:
            self.registered[task.register] = mark_unsafe(self._registered_value(outcome, skipped))

    # --- transport ---------------------------------------------------------------------------------

    def _exec(self, command: list[str], *, become: bool, become_user: str | None, stdin: bytes | None = None) -> Result:
        self.round_trips += 1
        return self.transport.run(command, become=become, become_user=become_user, stdin=stdin, timeout=self._left())

    def _left(self) -> float | None:
        """The time the running task has left under its `timeout:` (None: the transport's own limits)."""
        return None if self.deadline is None else max(0.001, self.deadline - time.monotonic())
