"""The mutable-versus-immutable scorecard: its figures (pure data) and its renderings (table, JSON, HTML)."""
