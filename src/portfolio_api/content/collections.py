"""The three publishable collections, declared over the one content mechanism."""

import math
from datetime import date
from typing import Any

from portfolio_api.content.spec import ContentSpec, Facet, Item
from portfolio_api.schemas.content import BlogPostCreate, CertificationCreate, ProjectCreate

WORDS_PER_MINUTE = 200


def _reading_time(item: Item) -> dict[str, Any]:
    words = len(str(item.get("content", "")).split())
    return {"readingTimeMinutes": max(1, math.ceil(words / WORDS_PER_MINUTE))}


def _expired(item: Item, today: date) -> dict[str, Any]:
    expiry = item.get("expiryDate")
    return {"expired": bool(expiry) and date.fromisoformat(str(expiry)) < today}


BLOG_POSTS = ContentSpec(
    name="blog",
    path="/v1/blog/posts",
    singular="post",
    tag="blog",
    create_model=BlogPostCreate,
    model_prefix="BlogPost",
    slug_source="title",
    facets=(
        Facet("category", "category", counted=True, description="Posts in this category."),
        Facet("tag", "tags", description="Posts with this tag."),
    ),
    counts_path="/v1/blog/categories",
    heavy_fields=("content",),
    derived_fields={"readingTimeMinutes": int},
    on_write=_reading_time,
    folder="blog",
    body_field="content",
)

PROJECTS = ContentSpec(
    name="project",
    path="/v1/projects",
    singular="project",
    tag="projects",
    create_model=ProjectCreate,
    model_prefix="Project",
    slug_source="title",
    facets=(
        Facet(
            "featured",
            "featured",
            description="Only featured (true) or other (false) projects.",
            query_type=bool,
        ),
        Facet("tech", "techStack", description="Projects using this technology (any case)."),
    ),
    heavy_fields=("description",),
    folder="projects",
    body_field="description",
)

CERTIFICATIONS = ContentSpec(
    name="certification",
    path="/v1/certifications",
    singular="certification",
    tag="certifications",
    create_model=CertificationCreate,
    model_prefix="Certification",
    slug_source="name",
    facets=(
        Facet("type", "type", description="Certifications of this type, e.g. aws."),
        Facet("issuer", "issuer", description="Certifications from this issuer."),
    ),
    derived_fields={"expired": bool},
    on_read=_expired,
    folder="certifications",
)

ALL_COLLECTIONS = (BLOG_POSTS, PROJECTS, CERTIFICATIONS)
