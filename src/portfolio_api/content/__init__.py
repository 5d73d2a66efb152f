"""Publishable content: one mechanism, declared per collection."""
