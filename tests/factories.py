"""Plain payload builders for the content collections."""

from typing import Any

from portfolio_api.content.collections import BLOG_POSTS, CERTIFICATIONS, PROJECTS
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

EDITABLE_TEXT = {
    BLOG_POSTS.name: "summary",
    PROJECTS.name: "summary",
    CERTIFICATIONS.name: "credentialId",
}
"""An optional-or-free text field of each collection, for edits in tests."""

TITLE_FIELD = {BLOG_POSTS.name: "title", PROJECTS.name: "title", CERTIFICATIONS.name: "name"}


def content_payload(spec: ContentSpec, **overrides: Any) -> dict[str, Any]:
    """A valid create body for the collection, with overrides applied."""
    return {**_BASE[spec.name], **overrides}


def titled(spec: ContentSpec, title: str, **overrides: Any) -> dict[str, Any]:
    """A valid create body with the given title (or name)."""
    return content_payload(spec, **{TITLE_FIELD[spec.name]: title}, **overrides)
