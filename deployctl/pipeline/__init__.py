"""The delivery pipeline's pure core: stage order, promotion gates and plans, status and history from ledger rows."""
