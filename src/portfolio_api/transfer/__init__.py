"""Content in and out as a folder (`portfolio-api export` / `import`, `dev --seed`).

The folder speaks what static-site tools speak: Markdown with YAML front matter for the
collections with a body, YAML for the others and for products, CSV for the analytics report.
`format.py` reads and writes one file, `export.py` writes a folder, `importer.py` reads and
applies one. Operator-only: PyYAML (the `cli` extra) never reaches the Lambda package.
"""
