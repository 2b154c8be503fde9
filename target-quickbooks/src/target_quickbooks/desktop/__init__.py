"""QuickBooks Desktop: the target writes through qbd-bridge and the Web Connector (see :mod:`.writer`)."""
