"""Ansible's Jinja filters and tests that need more than a line: comments, versions, hashes, password hashes."""
