"""Drift: compare what a release declares with what hosts and containers run, per host and between stages.

The core is pure (`model`, `compare`, `ignore`, `parity`, `render`): facts and container states in,
drift items and reports out. The edges read VMs over SSH with the mutable strategy's fact gatherers
(`vms`), containers with the docker SDK (`containers`), and re-converge what drifted (`fix`).
"""
