"""Wire models: camelCase JSON in and out."""
