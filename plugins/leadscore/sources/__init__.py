"""Source connectors: one shared HTTP client, small stream classes, and the raw-landing loader."""
