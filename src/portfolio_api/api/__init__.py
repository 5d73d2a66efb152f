"""The HTTP layer: routers, dependencies and error rendering."""
