"""Portfolio API."""
