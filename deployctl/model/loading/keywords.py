"""The keywords deployctl reads on plays, blocks, tasks and role entries, and those of Ansible it refuses by name."""

from __future__ import annotations

from collections.abc import Mapping

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
)
TASK_KEYWORDS = (
    "name",
    "args",
    "when",
    "loop",
    "with_items",
    "with_first_found",
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
)
ROLE_ENTRY_KEYWORDS = ("role", "name", "vars", "tags", "when", "become", "become_user")
INERT_KEYWORDS = frozenset({"collections", "debugger"})
"""Ansible keywords accepted and not read, on plays, blocks, tasks and role entries: they change nothing deployctl
does (it resolves short module names itself whatever `collections` lists; `debugger` only opens Ansible's
interactive debugger on a failure)."""
LOOP_KEYWORDS = ("loop", "with_items", "with_first_found")
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
