"""One function per use case (apply, release, deploy, rollback, verify, promote, drift scan and fix, status,
history, lock break, inventory and ping).

Each operation takes a context loaded once (the project, a stage, its inventory, the lab's endpoints), does
its I/O through the edges (transports, the Docker layer, the ledger) and returns a result the CLI renders.
"""
