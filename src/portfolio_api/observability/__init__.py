"""What the service tells its operator: business metrics (names declared once) and their sinks."""
