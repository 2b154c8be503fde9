"""Singer target for QuickBooks Online."""
