"""Cross-cutting pieces: settings, errors, security, logging, HTTP middleware."""
