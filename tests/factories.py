"""Plain payload builders for the content collections.

The collections here have hand-picked bodies (duplicate tags, a long text) that tests rely on; any
other collection, a new one included, gets the example its create schema documents.
"""

from typing import Any, cast

from portfolio_api.content.collections import ALL_COLLECTIONS, BLOG_POSTS, CERTIFICATIONS, PROJECTS
from portfolio_api.content.spec import ContentSpec

_BASE: dict[str, dict[str, Any]] = {
    BLOG_POSTS.name: {
        "title": "Hello World",
        "summary": "A first post.",
        "content": "word " * 450,
        "category": "Engineering",
        "tags": ["AWS", "python", "aws"],
        "coverImageUrl": "https://cdn.example/cover.png",
    },
    PROJECTS.name: {
        "title": "Portfolio API",
        "summary": "The backend of this site.",
        "description": "FastAPI on Lambda.",
        "techStack": ["Python", "DynamoDB"],
        "repoUrl": "https://github.com/example/portfolio-api",
        "featured": True,
        "startDate": "2026-01-01",
        "endDate": "2026-06-30",
    },
    CERTIFICATIONS.name: {
        "name": "AWS Certified Developer",
        "issuer": "Amazon Web Services",
        "type": "aws",
        "issueDate": "2025-03-01",
        "expiryDate": "2028-03-01",
        "credentialId": "ABC-123",
        "credentialUrl": "https://aws.example/verify/ABC-123",
    },
}

_EDITABLE = {
    BLOG_POSTS.name: "summary",
    PROJECTS.name: "summary",
    CERTIFICATIONS.name: "credentialId",
}

EDITABLE_TEXT = {spec.name: _EDITABLE.get(spec.name, spec.title_field) for spec in ALL_COLLECTIONS}
"""A free text field of each collection, for edits in tests; one not named above edits its title."""


def content_payload(spec: ContentSpec, **overrides: Any) -> dict[str, Any]:
    """A valid create body for the collection, with overrides applied."""
    base = _BASE.get(spec.name) or documented_example(spec)
    return {**base, **overrides}


def documented_example(spec: ContentSpec) -> dict[str, Any]:
    """The first example body the collection's create schema documents."""
    extra = spec.create_model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict) and extra.get("examples"), f"{spec.name}: no example body"
    examples = cast(list[dict[str, Any]], extra["examples"])
    return dict(examples[0])


def titled(spec: ContentSpec, title: str, **overrides: Any) -> dict[str, Any]:
    """A valid create body with the given title (or name)."""
    return content_payload(spec, **{spec.title_field: title}, **overrides)
