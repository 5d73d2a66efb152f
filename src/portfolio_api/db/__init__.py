"""The one DynamoDB table: its keys, its definition and its client."""
