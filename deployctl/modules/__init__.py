"""Modules with Ansible's names: each is a pure planner from desired parameters and host facts to a Plan."""
