"""The keywords deployctl reads on plays, blocks, tasks and role entries, and those of Ansible it refuses by name."""

from __future__ import annotations

from collections.abc import Mapping

from deployctl.model.loops import WITH_LOOPS
from deployctl.model.playbook import ActionSpec

PLAY_KEYWORDS = (
    "name",
    "hosts",
    "vars",
    "vars_files",
    "become",
    "become_user",
    "serial",
    "max_fail_percentage",
    "gather_facts",
    "tags",
    "roles",
    "pre_tasks",
    "tasks",
    "post_tasks",
    "handlers",
    "no_log",
    "diff",
    "environment",
    "run_once",
)
TASK_KEYWORDS = (
    "name",
    "args",
    "when",
    "loop",
    *WITH_LOOPS,
    "loop_control",
    "register",
    "notify",
    "tags",
    "become",
    "become_user",
    "changed_when",
    "failed_when",
    "ignore_errors",
    "check_mode",
    "delegate_to",
    "vars",
    "no_log",
    "diff",
    "timeout",
    "environment",
    "run_once",
)
HANDLER_KEYWORDS = (*TASK_KEYWORDS, "listen")
BLOCK_KEYWORDS = (
    "name",
    "block",
    "rescue",
    "always",
    "when",
    "tags",
    "become",
    "become_user",
    "ignore_errors",
    "check_mode",
    "delegate_to",
    "vars",
    "no_log",
    "diff",
    "environment",
    "run_once",
)
INCLUDE_ACTIONS = ("include_tasks", "include_role")
"""The dynamic includes: their tasks are chosen by the run, and they take only some task keywords."""
INCLUDE_KEYWORDS = (
    "name",
    "args",
    "when",
    "loop",
    *WITH_LOOPS,
    "loop_control",
    "register",
    "tags",
    "vars",
    "no_log",
    "ignore_errors",
    "timeout",
)
"""The task keywords ansible-core takes on include_tasks / include_role (`apply` gives the others to their tasks)."""
APPLY_KEYWORDS = tuple(word for word in BLOCK_KEYWORDS if word not in ("name", "block", "rescue", "always"))
ROLE_ENTRY_KEYWORDS = ("role", "name", "vars", "tags", "when", "become", "become_user", "environment", "run_once")
INERT_KEYWORDS = frozenset({"collections", "debugger"})
"""Ansible keywords accepted and not read, on plays, blocks, tasks and role entries: they change nothing deployctl
does (it resolves short module names itself whatever `collections` lists; `debugger` only opens Ansible's
interactive debugger on a failure)."""
LOOP_KEYWORDS = ("loop", *WITH_LOOPS)
LOOP_CONTROL_KEYS = ("loop_var", "label", "index_var", "pause")
SECTIONS = ("pre_tasks", "tasks", "post_tasks")
LOCAL_HOSTS = ("localhost", "127.0.0.1")
"""What `delegate_to` may name: the machine deployctl runs on."""
MAX_INCLUDE_DEPTH = 20
"""How deep imports, includes and role dependencies may nest (deeper is taken for a loop)."""

STATIC_IMPORTS: Mapping[str, ActionSpec] = {
    "import_tasks": ActionSpec("file", ("file",), ("file",)),
    "import_role": ActionSpec(None, ("name", "tasks_from", "vars_from", "defaults_from", "handlers_from"), ("name",)),
}
META_ACTIONS = ("flush_handlers", "noop", "end_host")
ANSIBLE_PLAY_KEYWORDS = frozenset(
    {
        "any_errors_fatal",
        "become_exe",
        "become_flags",
        "become_method",
        "check_mode",
        "collections",
        "connection",
        "debugger",
        "diff",
        "environment",
        "fact_path",
        "force_handlers",
        "gather_subset",
        "gather_timeout",
        "ignore_errors",
        "ignore_unreachable",
        "module_defaults",
        "no_log",
        "order",
        "port",
        "remote_user",
        "run_once",
        "strategy",
        "throttle",
        "timeout",
        "vars_prompt",
    }
)
ANSIBLE_TASK_KEYWORDS = frozenset(
    {
        "action",
        "any_errors_fatal",
        "async",
        "become_exe",
        "become_flags",
        "become_method",
        "collections",
        "connection",
        "debugger",
        "delay",
        "delegate_facts",
        "diff",
        "environment",
        "ignore_unreachable",
        "listen",
        "local_action",
        "module_defaults",
        "no_log",
        "poll",
        "port",
        "remote_user",
        "rescue",
        "always",
        "retries",
        "run_once",
        "throttle",
        "timeout",
        "until",
        "include",
    }
)
