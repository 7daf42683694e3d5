"""Fact gatherers: a shell snippet to read a host and a pure parser of its output, batched per host."""
