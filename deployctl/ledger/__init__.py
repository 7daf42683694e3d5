"""The project's ledger: releases, deployments, verifications, drift scans and stage locks, in SQLite."""
