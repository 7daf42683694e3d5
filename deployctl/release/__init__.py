"""Releases: a content-addressed snapshot of a playbook, its files and the stages' variables."""
