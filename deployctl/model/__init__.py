"""Typed, validated models loaded from the user's YAML: project, inventory, connection endpoints."""
