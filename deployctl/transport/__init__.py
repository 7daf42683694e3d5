"""Transports execute: run a command, put a file, get a file. They know nothing of modules or plans."""
