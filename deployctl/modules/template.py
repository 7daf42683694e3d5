"""template: put a Jinja template, rendered on the controller, into a file on the host.

The engine renders `src` with the task's variables and passes the result in `_content` (and the
template's base name in `_src_name`, used when `dest` is a directory, as Ansible does). Placing the
file follows copy's rules exactly (see deployctl.modules.copy): existing files keep their owner,
group and mode unless given, `force: false` leaves an existing destination alone, `validate` checks the
new content before it replaces the destination.
Not supported (refused): backup, newline_sequence, trim_blocks and the other Jinja
settings (the engine owns rendering), follow, output_encoding, unsafe_writes, SELinux attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deployctl.modules.base import Module, Param, Plan
from deployctl.modules.copy import file_content_facts, plan_file_content
from deployctl.modules.fileattrs import ATTRIBUTE_PARAMS
from deployctl.modules.planning import failed
from deployctl.modules.values import validate_problem

TEMPLATE_PARAMS: Mapping[str, Param] = {
    "src": Param("path", required=True),
    "dest": Param("path", required=True),
    **ATTRIBUTE_PARAMS,
    "force": Param("bool", default=True),
    "validate": Param("str", check=validate_problem),
    "_content": Param("raw"),
    "_src_name": Param("str"),
}


def plan_template(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan writing the rendered template to `dest`."""
    rendered = params.get("_content")
    if isinstance(rendered, str):
        rendered = rendered.encode("utf-8")
    if not isinstance(rendered, bytes):
        return failed(f"template {params['src']} was not rendered on the controller (no _content)")
    return plan_file_content(params, facts, rendered)


TEMPLATE = Module(
    name="template",
    params=TEMPLATE_PARAMS,
    facts=file_content_facts,
    plan=plan_template,
    doc=__doc__ or "",
    effects_listed=True,
)
