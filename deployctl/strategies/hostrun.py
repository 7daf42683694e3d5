"""Run a play's tasks on one host: render, read facts (batched), plan, apply the changes, register.

The host's facts for every task of a play are read in one round trip before the first task. Changed
tasks whose outcome nothing reads before the next round trip are held back and run together in one script
(deployctl.strategies.changebatch), in the round trip that reads the facts a later task needs, or at the end
of the play's section. To know the later tasks' parameters, the lookahead walks the
play in run order on the controller (deployctl.strategies.lookahead). Facts that a change makes stale
(deployctl.strategies.staleness) are read again only when a later task needs them. Planning is the
modules' pure functions; this runner does the I/O, through a Transport it is given, and knows nothing
of SSH.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from deployctl.errors import ConnectionFailedError, InputError
from deployctl.facts.ansible import ANSIBLE_FACTS_KEY, AnsibleFacts
from deployctl.facts.base import Fact, FactBatch, batch
from deployctl.model.inventory import InventoryHost
from deployctl.model.playbook import Block, Play, Playbook, Task
from deployctl.model.playbook import Step as PlayStep
from deployctl.modules.base import Module, OneOf, Plan
from deployctl.modules.params import ParamError
from deployctl.redaction import HIDDEN_ITEM, RedactionRules
from deployctl.strategies.actions import Step, compose_steps
from deployctl.strategies.changebatch import ChangeBatch, HeldChange, change_outcome, joins_batch
from deployctl.strategies.changescript import RUNNER, BatchedChange, ChangeResult, change_script
from deployctl.strategies.controlleractions import run_action
from deployctl.strategies.hostfacts import HostFacts, TaskVariables
from deployctl.strategies.lookahead import LOOKAHEAD_ERRORS, Lookahead
from deployctl.strategies.outcome import Outcome, check_outcome, judge, loop_outcome, registered_value
from deployctl.strategies.resultredaction import ResultRedaction, result_redaction
from deployctl.strategies.results import TaskResult
from deployctl.strategies.runonce import RunOnceBatch, SharedRun
from deployctl.strategies.taskrender import TaskError, TaskRenderer
from deployctl.templating import Templar, TemplateError, mark_unsafe
from deployctl.transport.base import (
    CommandStoppedError,
    Result,
    Transport,
    render_command,
    shell,
    with_become,
    with_environment,
)
from deployctl.transport.local import LocalTransport

Emit = Callable[[TaskResult], None]


class BatchFailedError(Exception):
    """A held-back change failed when its batch ran: the host stops there (its results are given out)."""


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
        self.options = options
        self.emit = emit
        self.host_facts = HostFacts()
        self.variables = TaskVariables()
        self.run_vars = run_vars  # the host's; each play adds its own (`run_play`)
        self.render = TaskRenderer(host, playbook, self.templar, run_vars, self.host_facts, modules)
        self.lookahead = Lookahead(self.render, self.variables, options.selects)
        self.running: Play | None = None  # the play whose facts each round trip also reads
        self.secret_values: set[str] = set()  # every secret value a task saw: drift's parity facts hide them
        self.local: LocalTransport | None = None
        self.round_trips = 0
        self.failed = False
        self.ended = False
        self.rescuable = 0
        self.deadline: float | None = None  # the running task's `timeout:`, on the monotonic clock
        self.batch: RunOnceBatch | None = None  # the batch's meeting points at run_once tasks (None: alone)
        self.errors_ignored = False  # whether the last task run had `ignore_errors` on, as rendered here
        self.pending = ChangeBatch()  # changes held back to run together, and the results behind them
        self.joining: HeldChange | None = None  # the running task's change, when it joins the batch
        self.running_handler = False

    @property
    def facts(self) -> dict[str, Any]:
        """The facts read from the host, by key."""
        return self.host_facts.facts

    @property
    def gathered(self) -> dict[str, Any]:
        """The host's gathered Ansible facts (gather_facts), as variables."""
        return self.host_facts.gathered

    # --- plays -------------------------------------------------------------------------------------

    def run_play(self, play: Play, play_vars: Mapping[str, Any]) -> None:
        """Run every selected task of the play with its magic variables (deployctl.model.runvars.play_variables),
        flushing notified handlers after each section."""
        self.render.run_vars = {**self.run_vars, **play_vars}
        self.ended = False
        self.variables.included = {}
        self._prefetch(play)
        self.running = play
        notified: list[str] = []
        for _section, steps in play.section_steps():
            ran = self._run_steps(play, steps, notified)
            if not self._settle() or not ran:  # what an `always` held back after a failure runs too
                self.failed = True
                return
            if self.ended:
                return
            self._flush_handlers(play, notified)
            if self.failed:
                return

    def _settle(self) -> bool:
        """Run the held-back changes now; False when one failed."""
        try:
            self._run_batch()
        except BatchFailedError:
            return False
        return True

    def _run_steps(self, play: Play, steps: tuple[PlayStep, ...], notified: list[str]) -> bool:
        """Run steps in order; False at the first failure that is not ignored (blocks rescue theirs), or when a
        held-back change fails."""
        try:
            return self._run_each(play, steps, notified)
        except BatchFailedError:
            return False

    def _run_each(self, play: Play, steps: tuple[PlayStep, ...], notified: list[str]) -> bool:
        for step in steps:
            if self.ended:
                return True
            if isinstance(step, Block):
                if not self._run_block(play, step, notified):
                    return False
                continue
            if not self.options.selects(step):
                continue
            if step.module in ("include_tasks", "include_role") and not step.unsupported:
                if not self._include(play, step, notified):
                    return False
                continue
            if step.module == "meta" and step.args.get("free_form") in ("flush_handlers", "end_host"):
                self._run_batch()
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
            if result.status in ("failed", "unreachable") and (not result.ignored or not self.errors_ignored):
                return False
        return True

    def _run_block(self, play: Play, block: Block, notified: list[str]) -> bool:
        """A failure in `block` runs `rescue` (which clears it when it succeeds); `always` runs anyway. Held-back
        changes run before such a block and after each of its parts, so that each failure is found where it is."""
        handles = bool(block.rescue or block.always)
        if handles and not self._settle():  # a held-back change's failure is no failure of this block's
            return False
        self.rescuable += 1 if block.rescue else 0  # a failure the rescue handles is not the host's failure
        try:
            succeeded = self._run_steps(play, block.block, notified) and (not handles or self._settle())
        finally:
            self.rescuable -= 1 if block.rescue else 0
        if not succeeded and block.rescue:
            succeeded = self._run_steps(play, block.rescue, notified) and (not block.always or self._settle())
        always = self._run_steps(play, block.always, notified) if block.always else True
        return succeeded and always

    def _include(self, play: Play, task: Task, notified: list[str]) -> bool:
        """include_tasks / include_role: pick the file (or role) for this host and run its steps."""
        started = time.monotonic()
        scope = self.render.scope(play, task, self.variables)
        try:
            items = [None] if task.loop is None else self.render.loop_items(task, scope)
            for index, item in enumerate(items or ()):  # None: skipped (see TaskRenderer.loop_items)
                extra = {} if task.loop is None else {task.loop_var: item}
                if task.index_var:
                    extra[task.index_var] = index
                if not self.render.when(task, {**scope, **extra}):  # for each item, as in Ansible
                    continue
                included = self.render.included(task, {**scope, **extra})
                saved = self.variables.params
                self.variables.params = {**saved, **task.vars, **extra}
                try:
                    ok = self._run_steps(play, included.steps, notified)
                finally:
                    self.variables.params = saved
                if not ok:
                    return False
        except (TemplateError, TaskError, InputError) as error:
            outcome = Outcome("failed", self._located(task, error))
            ignore_errors = self._ignores_errors(task, scope)
            result = self._result(play, task, outcome, False, started, self._shown(task, scope), ignore_errors)
            self._give(result)
            return result.ignored
        return True

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
        """Whether facts are read as root: when the play or any of its tasks becomes (a template as rendered now)."""
        return play.become or any(self._becomes(play, task) for task in play.all_tasks())

    def _becomes(self, play: Play, task: Task) -> bool:
        """Whether the task becomes, as far as known before it runs (a template that cannot be rendered yet: no)."""
        if not isinstance(task.become, str):
            return bool(task.become)
        try:
            return self.render.flag(task.become, "become", self.render.scope(play, task, self.variables))
        except LOOKAHEAD_ERRORS:
            return False

    def _gather(self, facts: list[Fact[Any]], become: bool) -> None:
        """Read the facts not known or stale; every other stale fact is refreshed in the same round trip."""
        running = self.running
        needed = self.host_facts.to_read(facts, lambda: self.lookahead.play_facts(running) if running else [])
        if not needed:
            return
        facts_batch: FactBatch[Any] = batch(needed)
        if self.pending.open and (self.pending.become != (become, None) or self.deadline is not None):
            self._run_batch()  # the changes run with their own become, and outside the task's timeout
        if self.pending.open:  # the changes, then the facts, in one round trip
            result = Result("", 0, self._run_batch(facts_batch.script()), "", 0.0)
        else:
            result = self._exec(shell(facts_batch.script()), become=become, become_user=None)
        try:
            values = facts_batch.split(result.stdout)
        except ValueError as exc:
            detail = result.stderr.strip().splitlines()
            raise TaskError(f"reading facts failed: {exc}: {detail[-1] if detail else 'no output'}") from None
        self.host_facts.store(values)

    def _prefetch(self, play: Play) -> None:
        """Read, in one round trip, Ansible's facts (gather_facts) and the facts of every task renderable now."""
        self.running = None
        gather = play.gather_facts and not self.host_facts.gathered_all and self.lookahead.reads_facts(play)
        guessing = bool(gather and self.fact_hint)
        set_by_tasks = self.host_facts.gathered
        if guessing:  # look ahead with last run's facts: reads the facts that fact-chosen content needs now
            self.host_facts.gathered = {**set_by_tasks, **mark_unsafe(dict(self.fact_hint or {}))}  # host data
        try:
            facts = self.lookahead.play_facts(play)
        finally:
            if guessing:
                self.host_facts.gathered = set_by_tasks
        if gather:
            facts.insert(0, AnsibleFacts())
        self._gather(facts, self._fact_become(play))
        self.host_facts.keep_gathered()

    # --- tasks -------------------------------------------------------------------------------------

    def _run(self, play: Play, task: Task, *, handler: bool) -> TaskResult:
        """Run a task here; a run_once task only on the batch's first host to reach it (see `runonce`)."""
        if not task.run_once or self.batch is None:
            return self._run_here(play, task, handler=handler)
        self._run_batch()  # the hosts meet here: what each changed before has run
        batch = self.batch
        meeting = batch.meeting(self.host.name, id(task))
        if not batch.leads(self.host.name, meeting):
            return self._follow(play, task, batch.result(self.host.name, meeting), handler)
        registered = dict(self.variables.registered)
        included = dict(self.variables.included)
        result: TaskResult | None = None
        try:
            result = self._run_here(play, task, handler=handler)
        finally:
            batch.share(
                meeting,
                SharedRun(
                    self.host.name,
                    result,
                    _set_since(registered, self.variables.registered),
                    _set_since(included, self.variables.included),
                ),
            )
        return result

    def _follow(self, play: Play, task: Task, shared: SharedRun, handler: bool) -> TaskResult:
        """Another host ran this run_once task: take its variables; fail with it (not shown unless failed)."""
        self.variables.registered.update(shared.registered)
        self.variables.included.update(shared.included)
        first = shared.result
        ignore_errors = self.errors_ignored = self._ignores_errors(task, self.render.scope(play, task, self.variables))
        if first is not None and (first.status not in ("failed", "unreachable") or ignore_errors):
            return TaskResult(
                host=self.host.name,
                play=play.name,
                task=task.name,
                module=task.module,
                status="ok",
                message=f"run once, on {shared.host}",
                origin=str(task.origin),
                handler=handler,
            )
        if first is None:
            message = f"{task.origin}: run once, on {shared.host}, which did not finish it"
        else:
            message = f"{task.origin}: run once, on {shared.host}, and failed there: {first.message}"
        result = TaskResult(
            host=self.host.name,
            play=play.name,
            task=task.name,
            module=task.module,
            status="failed",
            message=message,
            origin=str(task.origin),
            ignored=ignore_errors or self.rescuable > 0,
            handler=handler,
        )
        self._give(result)
        return result

    def _run_here(self, play: Play, task: Task, *, handler: bool) -> TaskResult:
        started = time.monotonic()
        become_user = task.become_user or play.become_user
        scope = self.render.scope(play, task, self.variables)
        shown = self._shown(task, scope)
        items: list[TaskResult] = []
        ignore_errors = self.errors_ignored = self._ignores_errors(task, scope)
        self.joining = None
        self.running_handler = handler
        try:
            loop_items = None if task.loop is None else self.render.loop_items(task, scope)
            if task.loop is None:
                outcome = self._run_once(play, task, scope, become_user)
            elif loop_items is None:  # its loop reads an undefined variable and its `when` is false
                outcome = Outcome("skipped", "conditional result was False")
                if task.register:
                    self.variables.registered[task.register] = mark_unsafe(registered_value(outcome, True))
            else:
                outcomes = []
                for index, item in enumerate(loop_items):
                    item_scope = {**scope, task.loop_var: item, **({task.index_var: index} if task.index_var else {})}
                    item_outcome = self._run_once(play, task, item_scope, become_user)
                    outcomes.append(item_outcome)
                    label = HIDDEN_ITEM if shown.no_log else repr(item)
                    item_result = self._result(play, task, item_outcome, handler, started, shown, ignore_errors, label)
                    items.append(item_result)
                outcome, registered = loop_outcome(task, outcomes, loop_items)
                if task.register:
                    self.variables.registered[task.register] = mark_unsafe(registered)
        except ConnectionFailedError as error:
            outcome = Outcome("unreachable", str(error))
        except CommandStoppedError as error:
            outcome = Outcome("failed", self._stopped(task, error))
        except (TemplateError, ParamError, TaskError) as error:
            outcome = Outcome("failed", self._located(task, error))
        except InputError as error:
            outcome = Outcome("failed", str(error))
        finally:
            self.deadline = None  # reading facts for the next play is bound by no task's timeout
        result = self._result(play, task, outcome, handler, started, shown, ignore_errors, items=tuple(items))
        if self.joining is not None:  # its change waits in the batch: its result is built when the batch ran
            joining, self.joining = self.joining, None

            def finish(ran: Outcome) -> TaskResult:
                return self._result(play, task, ran, handler, started, shown, ignore_errors)

            joining.finish = finish
            self.pending.add(joining)
            return result
        self._give(result)
        return result

    def _give(self, result: TaskResult) -> None:
        """Give out a task's result; behind held-back changes it waits for them (a failure runs them first)."""
        if not self.pending.open:
            self.emit(result)
        elif result.status in ("failed", "unreachable"):
            self._run_batch()
            self.emit(result)
        else:
            self.pending.hold(result)

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
        outcome: Outcome,
        handler: bool,
        started: float,
        shown: ResultRedaction,
        ignore_errors: bool,
        label: str | None = None,
        *,
        items: tuple[TaskResult, ...] = (),
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
            ignored=outcome.status == "failed" and (ignore_errors or self.rescuable > 0),
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

    def _ignores_errors(self, task: Task, scope: Mapping[str, Any]) -> bool:
        """Whether the task's failure here is ignored: its `ignore_errors` rendered (one that cannot be does not
        ignore; the task fails with the reason when it runs, see `TaskRenderer.switches`)."""
        try:
            return self.render.flag(task.ignore_errors, "ignore_errors", scope)
        except (TemplateError, TaskError):
            return False

    def _run_once(self, play: Play, task: Task, scope: dict[str, Any], become_user: str | None) -> Outcome:
        self.deadline = None if task.timeout is None else time.monotonic() + task.timeout
        if task.when and not all(self.templar.evaluate(condition, scope) for condition in task.when):
            outcome = Outcome("skipped", "conditional result was False")
            self._register(task, outcome, skipped=True)
            return outcome
        if task.unsupported:
            return Outcome("failed", task.unsupported_message)
        switches = self.render.switches(play, task, scope, self.options.check)  # after `when`, as in Ansible
        if task.is_action:
            outcome = judge(task, scope, run_action(task, scope, self.render, self.variables), self.templar)
            self._register(task, outcome)
            return outcome
        module = self.render.module(task)
        params = self.render.params(task, module, scope, with_content=True)
        facts = list(module.facts(params))
        become = switches.become
        if task.delegate_to:
            local_facts = self._local_facts(facts, become)
        else:
            self._gather(facts, become)
        known = local_facts if task.delegate_to else self.host_facts.facts
        plan = self._plan(module, params, facts, known, become)
        if plan.failed is None and isinstance(plan.result.get(ANSIBLE_FACTS_KEY), Mapping):
            self.host_facts.add_module_facts(plan.result[ANSIBLE_FACTS_KEY])
        output: dict[str, Any] = dict(plan.result)
        check = switches.check
        if plan.failed is not None:
            outcome = Outcome("failed", plan.failed, plan, output)
        elif not plan.changed:
            outcome = Outcome("ok", plan.summary, plan, output)
        elif check:
            outcome = check_outcome(plan, output)
        else:
            environment = self.render.environment(task, scope)
            if joins_batch(
                task, handler=self.running_handler, ignores_errors=self.errors_ignored, rescuable=self.rescuable > 0
            ):
                outcome = self._hold(task, module, plan, become, become_user, environment)
            else:
                outcome = self._apply(task, module, plan, become, become_user, environment)
        outcome = judge(task, scope, outcome, self.templar)
        self._register(task, outcome)
        return outcome

    def _plan(
        self, module: Module, params: Mapping[str, Any], facts: list[Fact[Any]], known: Mapping[str, Any], become: bool
    ) -> Plan:
        """Plan on the facts; one a change left known only in part (OneOf) serves when the plan comes out the same
        whichever value it has, else it is read (with the changes held back, in one round trip)."""
        values = {fact.key: known[fact.key] for fact in facts}
        partial = [key for key, value in values.items() if isinstance(value, OneOf)]
        if not partial:
            return module.plan(params, values)
        choices = itertools.product(*(values[key].values for key in partial))
        plans = [module.plan(params, {**values, **dict(zip(partial, choice, strict=True))}) for choice in choices]
        if all(plan == plans[0] for plan in plans[1:]):
            return plans[0]
        self.host_facts.stale.update(partial)
        self._gather(facts, become)
        return module.plan(params, {fact.key: self.host_facts.facts[fact.key] for fact in facts})

    def _apply(
        self,
        task: Task,
        module: Module,
        plan: Plan,
        become: bool,
        become_user: str | None,
        environment: Mapping[str, str],
    ) -> Outcome:
        self._run_batch()  # what was held back runs first
        last: Result | None = None
        succeeded = False
        try:
            for step in compose_steps(plan.actions):
                command = with_environment(step.command, environment)
                if task.delegate_to:
                    local = self._local()
                    last = local.run(
                        command, become=become, become_user=become_user, stdin=step.stdin, timeout=self._left()
                    )
                else:
                    last = self._exec(command, become=become, become_user=become_user, stdin=step.stdin)
                if not last.ok and not plan.captures_output:
                    break
            succeeded = last is None or last.ok
        finally:
            self._invalidate(module, plan, task)  # a change that failed or was stopped part-way stales too
            if not succeeded and not task.delegate_to:
                self.host_facts.forget(plan)
        if last is None:
            return Outcome("changed", plan.summary, plan, dict(plan.result))
        return change_outcome(plan, ChangeResult(last.exit_code, last.stdout, last.stderr), last.command)

    # --- held-back changes (deployctl.strategies.changebatch) ---------------------------------------

    def _hold(
        self,
        task: Task,
        module: Module,
        plan: Plan,
        become: bool,
        become_user: str | None,
        environment: Mapping[str, str],
    ) -> Outcome:
        """Hold a change back for the batch (its outcome, `changed`, is confirmed when the batch ran); what it
        makes stale is stale from now on."""
        if self.pending.open and self.pending.become != (become, become_user):
            self._run_batch()
        composed = compose_steps(plan.actions)
        steps = tuple(Step(tuple(with_environment(step.command, environment)), step.stdin) for step in composed)
        command = render_command(with_become(steps[-1].command, become, become_user))
        change = BatchedChange(steps, plan.captures_output)
        self.joining = HeldChange(task, module, plan, change, command, finish=_not_finished, slot=-1)
        self.pending.become = (become, become_user)
        self._invalidate(module, plan, task)
        return Outcome("changed", plan.summary, plan, dict(plan.result))

    def _run_batch(self, then: str = "") -> str:
        """Run the held-back changes in one round trip, with the script `then` after them (a fact batch's);
        give out their results and those held behind them; BatchFailedError when a change failed.
        Returns what `then` printed."""
        if not self.pending.open:
            return ""
        held = list(self.pending.changes)
        script = change_script([change.change for change in held], then)
        failure: Outcome | None = None
        results: list[ChangeResult] = []
        after = ""
        become, become_user = self.pending.become
        try:
            ran = self._exec(RUNNER, become=become, become_user=become_user, stdin=script.script.encode())
            results, after = script.split(ran.stdout)
            if len(results) < len(held) and all(result.exit_code == 0 for result in results):
                failure = _cut_short(held[len(results)], ran)
        except ConnectionFailedError as error:
            failure = Outcome("unreachable", str(error))
        except CommandStoppedError as error:
            failure = Outcome("failed", self._stopped(held[len(results)].task, error))
        given, succeeded = self.pending.close(results, failure)
        for result in given:
            self.emit(result)
        if not succeeded:
            for change in held:  # the host stops here: what the changes were to leave is not known
                self.host_facts.forget(change.plan)
            raise BatchFailedError
        return after

    # --- delegated steps ---------------------------------------------------------------------------

    def _local(self) -> LocalTransport:
        if self.local is None:
            self.local = LocalTransport()
        return self.local

    def _local_facts(self, facts: list[Fact[Any]], become: bool) -> dict[str, Any]:
        """The facts of a step delegated to this machine: read here, never cached with the host's."""
        if not facts:
            return {}
        self._run_batch()
        facts_batch: FactBatch[Any] = batch(facts)
        result = self._local().run(shell(facts_batch.script()), become=become)
        try:
            return facts_batch.split(result.stdout)
        except ValueError as exc:
            raise TaskError(f"reading local facts failed: {exc}") from None

    def _invalidate(self, module: Module, plan: Plan, task: Task) -> None:
        """Mark the host's facts stale after a change (`HostFacts.invalidate`); a delegated step changed here."""
        if not task.delegate_to:
            self.host_facts.invalidate(module, plan)

    def _register(self, task: Task, outcome: Outcome, skipped: bool = False) -> None:
        if task.register and task.loop is None:
            self.variables.registered[task.register] = mark_unsafe(registered_value(outcome, skipped))

    # --- transport ---------------------------------------------------------------------------------

    def _exec(self, command: list[str], *, become: bool, become_user: str | None, stdin: bytes | None = None) -> Result:
        self.round_trips += 1
        return self.transport.run(command, become=become, become_user=become_user, stdin=stdin, timeout=self._left())

    def _left(self) -> float | None:
        """The time the running task has left under its `timeout:` (None: the transport's own limits)."""
        return None if self.deadline is None else max(0.001, self.deadline - time.monotonic())


def _set_since(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The variables set (or set again) since `before` was taken."""
    return {name: value for name, value in after.items() if name not in before or before[name] is not value}


def _not_finished(outcome: Outcome) -> TaskResult:
    raise AssertionError("a held-back change is given its result builder before it joins the batch")


def _cut_short(held: HeldChange, ran: Result) -> Outcome:
    """The outcome of the first change a batch did not report: the batch stopped before it (or during it)."""
    detail = (ran.stderr or ran.stdout).strip().splitlines()
    tail = detail[-1] if detail else "no output"
    return Outcome("failed", f"{held.plan.summary}: the batch stopped (exit {ran.exit_code}): {tail}")
