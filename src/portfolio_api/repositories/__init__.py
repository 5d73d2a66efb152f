"""Data access over the single table; the only layer that speaks DynamoDB."""
