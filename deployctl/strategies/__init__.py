"""Strategies apply plans to targets: mutable (converge VMs in place over SSH); later immutable and swarm."""
