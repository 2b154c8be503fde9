"""tap-quickbooks: a Singer tap for QuickBooks Online on the Meltano singer-sdk."""

__version__ = "0.1.0"
