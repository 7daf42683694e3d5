"""The measuring steps of `deployctl compare`, one module per claim; operations/compare.py runs them in order."""
