"""Shared QuickBooks Online client: the object catalog, generated schemas, auth and transport."""

__version__ = "0.1.0"
