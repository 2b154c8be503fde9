"""pytest fixtures that run a qbo-sandbox server on a free loopback port (filled in below)."""
