"""qbo-sandbox: a local QuickBooks Online API server backed by SQLite."""
