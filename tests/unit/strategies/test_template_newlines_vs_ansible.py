"""Differential: template files end with the newlines ansible-core's template module gives them, and a file's
`#jinja2:` first line sets its Jinja settings as in ansible-core (the dev-sec ssh_hardening role's templates).

Jinja drops a template's last newline and ansible-core adds back the newlines the file ends with that the
result lacks; a value that itself ends in a newline, or an empty last line, must not gain one more.
"""

from __future__ import annotations

from pathlib import Path

from tests.unit.strategies.test_apply_local import make_project, run
from tests.unit.strategies.test_keywords_vs_ansible import ansible_run

TEMPLATES = {
    "empty_last.j2": "a\n{{ empty }}\n",
    "value_with_newline.j2": "{{ with_newline }}\n",
    "three_newlines.j2": "a\n\n\n",
    "none_at_end.j2": "a {{ empty }}",
    "block_at_end.j2": "{% if true %}\nline\n{% endif %}\n",
    "value_with_two.j2": "x\n{{ with_two }}",
    "override_lstrip.j2": "#jinja2: trim_blocks:True, lstrip_blocks:True\n  {% if true %}\n  x\n  {% endif %}\nend\n",
    "override_delimiters.j2": "#jinja2: variable_start_string:'[[', variable_end_string:']]'\n[[ empty ]]{{ x }}\n",
    "override_keep_newline.j2": "#jinja2: keep_trailing_newline:True\na\n\n",
    "override_no_trim.j2": "#jinja2:trim_blocks: False\n{% if true %}\nline\n{% endif %}\n",
}

PLAYBOOK = """\
- hosts: all
  gather_facts: false
  vars:
    empty: ""
    with_newline: "foo\\n"
    with_two: "bar\\n\\n"
  tasks:
    - name: render
      template: {src: "{{ item }}", dest: "{{ root }}/{{ item }}.out"}
      loop: LOOP
""".replace("LOOP", str(sorted(TEMPLATES)))


def test_template_newlines_as_ansible(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path / "deployctl", playbook=PLAYBOOK)
    for name, text in TEMPLATES.items():
        (root / "playbooks" / "templates" / name).write_text(text)
    result = run(root, inventory)
    assert result.exit_code == 0, [(r.task, r.message) for r in result.results if r.status == "failed"]
    ours = tmp_path / "deployctl" / "target"
    theirs = tmp_path / "ansible"
    theirs.mkdir()
    ansible_run(root / "playbooks" / "site.yml", theirs)
    rendered = {path.name: path.read_bytes() for path in sorted(ours.iterdir())}
    assert rendered == {path.name: path.read_bytes() for path in sorted(theirs.iterdir())}
    assert rendered["empty_last.j2.out"] == b"a\n"  # not b"a\n\n": the last line is empty
    assert rendered["override_lstrip.j2.out"] == b"  x\nend\n"  # the #jinja2 line gone, its settings applied
    assert rendered["override_delimiters.j2.out"] == b"{{ x }}\n"
