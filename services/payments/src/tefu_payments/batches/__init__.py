"""Payment batches and the ledger lines they hold."""
