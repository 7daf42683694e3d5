"""Loading a playbook: its YAML checked and expanded into the typed model of deployctl.model.playbook.

deployctl supports a subset of Ansible's keywords; any other keyword or module is refused by name,
never ignored, and every such problem in the content (plays, roles, included files) is listed at
once. What can be checked without a host is checked here: keywords, modules and their parameters
(templated values are checked per host by `playbook_checks.check_playbook`), handlers named by
`notify`, Jinja syntax, vars_files, and the controller files that `copy` and `template` read.

Static constructs are expanded here, as Ansible's parser does: `roles:` and `import_role` (with
their meta dependencies, defaults, vars and handlers), `import_tasks`, `import_playbook`, and the
keywords a `block` passes down to its tasks. Dynamic ones stay tasks that the run resolves:
`include_tasks`, `include_role` and `include_vars` (their candidate files, found by turning the
templated parts of the name into wildcards, are loaded and validated now), `set_fact`, `debug`,
`fail`, `assert` and `meta`.

The parts, by concern: `plays` (the entry points `load_playbook` and `parse_playbook`, where the
modules are given once), `roles`, `steps` (blocks, imports, includes), `actions` (one task), and
`source` (one file being loaded, with the shared value checks) and `keywords` (the keyword tables).
"""
