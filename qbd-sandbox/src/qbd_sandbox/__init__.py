"""An emulator of a QuickBooks Desktop company and of the QuickBooks Web Connector."""
