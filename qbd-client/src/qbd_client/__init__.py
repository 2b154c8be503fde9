"""QuickBooks Desktop library: the catalog, qbXML in and out, JSON Schemas, and the bridge client."""
