"""The service the QuickBooks Web Connector calls, with a durable queue and an API for the plugins."""

__version__ = "0.1.0"
