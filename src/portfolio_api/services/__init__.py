"""Business rules between the HTTP layer and the repositories."""
