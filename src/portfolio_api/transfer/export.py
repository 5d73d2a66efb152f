"""`portfolio-api export DIR`: every item, drafts included, every product, and the analytics
report, written into a folder beside DIR and renamed into place once complete."""

import csv
import io
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic.alias_generators import to_camel

from portfolio_api.container import Container
from portfolio_api.content.collections import ALL_COLLECTIONS
from portfolio_api.content.spec import ContentSpec
from portfolio_api.core.clock import iso_z
from portfolio_api.core.pagination import MAX_LIMIT
from portfolio_api.core.security import Principal
from portfolio_api.schemas.content import ContentMeta
from portfolio_api.schemas.products import Product, ProductCreate, ProductFilters
from portfolio_api.transfer.format import (
    ENTRIES,
    FORMAT,
    FORMER_SLUGS,
    MANIFEST,
    META_FIRST,
    META_LAST,
    PRODUCTS,
    VERSION,
    VIEWS_CSV,
    VISITORS_CSV,
    suffix,
    write_document,
)

PRODUCT_TYPE = "product"  # the analytics `contentType` of products
COUNTER_DAYS = 366  # a counter range is read in one Query of at most 1000 buckets: a year a time


class ExportRefused(Exception):
    """DIR cannot be written: said in one line, before anything was read."""


def operator_principal(owner_group: str) -> Principal:
    """The owner, as the service sees it: the operator reads drafts and inactive products."""
    return Principal(
        sub="operator", email=None, groups=(owner_group,), token_use="id", is_owner=True
    )


def export_folder(
    container: Container, directory: Path, on_step: Callable[[str], None] = lambda _m: None
) -> dict[str, int]:
    """Write the export to `directory` (new, or a former export it replaces); its counts."""
    directory = directory.resolve()
    _refuse_unreplaceable(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        counts = _write_all(container, staging, on_step)
        _replace(directory, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return counts


def _refuse_unreplaceable(directory: Path) -> None:
    """Only a folder holding nothing but the format's own entries (and dotfiles, such as
    `.git`) is written to: nothing else in it is ever deleted."""
    if directory.exists() and not directory.is_dir():
        raise ExportRefused(f"{directory} is a file, not a folder")
    if not directory.is_dir():
        return
    foreign = sorted(
        p.name for p in directory.iterdir() if not p.name.startswith(".") and p.name not in ENTRIES
    )
    if foreign:
        raise ExportRefused(
            f"{directory} holds {', '.join(foreign)}, not part of an export: not replaced"
        )


def _replace(directory: Path, staging: Path) -> None:
    """Put the complete export in place, entry by entry: each former entry is moved aside, the
    new one renamed into place, and the former ones deleted once all are; if a rename fails,
    the former entries are put back. Dotfiles in DIR (`.git`) are never touched."""
    if not directory.exists():
        staging.rename(directory)
        return
    backups = Path(tempfile.mkdtemp(prefix=f".{directory.name}.former.", dir=directory.parent))
    moved: list[str] = []  # entries whose former version is in `backups`
    placed: list[str] = []  # entries whose new version is in `directory`
    try:
        for name in ENTRIES:
            if (directory / name).exists():
                (directory / name).rename(backups / name)
                moved.append(name)
            if (staging / name).exists():
                (staging / name).rename(directory / name)
                placed.append(name)
    except BaseException:
        for name in placed:
            _remove(directory / name)
        for name in moved:
            (backups / name).rename(directory / name)
        shutil.rmtree(backups, ignore_errors=True)
        raise
    shutil.rmtree(backups, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _write_all(container: Container, root: Path, on_step: Callable[[str], None]) -> dict[str, int]:
    owner = operator_principal(container.settings.owner_group)
    counts: dict[str, int] = {}
    earliest = container.clock().date()
    exported: list[tuple[str, str, str]] = []  # contentType, id, slug: the views report's rows
    for spec in ALL_COLLECTIONS:
        folder = root / spec.folder
        folder.mkdir()
        counts[spec.folder] = 0
        for item in _content_items(container, spec, owner):
            former = container.content_service.former_slugs(spec, item.id)
            fields, body = content_record(spec, item, former)
            _write(
                folder / f"{item.slug}{suffix(spec)}", write_document(fields, spec.body_field, body)
            )
            counts[spec.folder] += 1
            exported.append((spec.name, item.id, item.slug))
            earliest = min(earliest, date.fromisoformat(item.created_at[:10]))
        on_step(f"  {spec.folder}: {counts[spec.folder]} items")
    (root / PRODUCTS).mkdir()
    counts[PRODUCTS] = 0
    for product in _products(container, owner):
        _write(
            root / PRODUCTS / f"{product.id}.yaml",
            write_document(product_record(product), None, None),
        )
        counts[PRODUCTS] += 1
        exported.append((PRODUCT_TYPE, product.id, ""))
        earliest = min(earliest, date.fromisoformat(product.created_at[:10]))
    on_step(f"  {PRODUCTS}: {counts[PRODUCTS]} products")
    counts.update(_write_analytics(container, root, exported, earliest))
    manifest = {"format": FORMAT, "exportedAt": iso_z(container.clock()), "counts": counts}
    _write(root / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return counts


def content_record(
    spec: ContentSpec, item: ContentMeta, former_slugs: list[str]
) -> tuple[dict[str, Any], str | None]:
    """An item's file fields, in a fixed order, without nulls; and its body, if it has one.
    Its former slugs go with it, so links to them still redirect after a restore."""
    wire = {**item.model_dump(mode="json", by_alias=True), FORMER_SLUGS: former_slugs or None}
    create_fields = [
        info.alias or to_camel(name) for name, info in spec.create_model.model_fields.items()
    ]
    order = [*META_FIRST, *(f for f in create_fields if f not in META_FIRST), *META_LAST, VERSION]
    fields = {name: wire[name] for name in order if wire.get(name) is not None}
    body = fields.pop(spec.body_field, None) if spec.body_field else None
    return fields, body


def product_record(product: Product) -> dict[str, Any]:
    """A product's file fields: its create fields (price an exact `Decimal`), instants and
    version."""
    wire = product.model_dump(by_alias=True)
    order = [
        *(info.alias or to_camel(n) for n, info in ProductCreate.model_fields.items()),
        "createdAt",
        "updatedAt",
        VERSION,
    ]
    return {name: wire[name] for name in order if wire.get(name) is not None}


def _content_items(
    container: Container, spec: ContentSpec, owner: Principal
) -> Iterator[ContentMeta]:
    """Every item of a collection, whole (a list's entries leave the Markdown body out)."""
    service = container.content_service
    cursor: str | None = None
    while True:
        page = service.list_items(
            spec, status="all", filters={}, limit=MAX_LIMIT, cursor=cursor, principal=owner
        )
        for summary in page.items:
            yield service.get(spec, summary.id, owner)
        cursor = page.next_cursor
        if cursor is None:
            return


def _products(container: Container, owner: Principal) -> Iterator[Product]:
    """Every product, inactive ones included."""
    cursor: str | None = None
    while True:
        filters = ProductFilters.model_validate(
            {"includeInactive": True, "limit": MAX_LIMIT, "cursor": cursor}
        )
        page = container.product_service.list_products(filters, owner)
        yield from page.items
        cursor = page.next_cursor
        if cursor is None:
            return


def _years(earliest: date, today: date) -> Iterator[tuple[str, str]]:
    """Day ranges covering `earliest`…`today`, each short enough for one counter Query."""
    low = earliest
    while low <= today:
        high = min(low + timedelta(days=COUNTER_DAYS - 1), today)
        yield low.isoformat(), high.isoformat()
        low = high + timedelta(days=1)


def _write_analytics(
    container: Container, root: Path, exported: list[tuple[str, str, str]], earliest: date
) -> dict[str, int]:
    """The CSV report: visitors per day, and each item's views per day (nothing counted before
    the oldest item was created)."""
    reads = container.analytics_repository
    ranges = list(_years(earliest, container.clock().date()))
    visitors: dict[str, int] = {}
    for low, high in ranges:
        visitors.update(reads.daily_visitors(low, high))
    views: list[tuple[str, str, str, str, int]] = []
    for content_type, item_id, slug in exported:
        for low, high in ranges:
            for day, count in reads.item_daily_views(content_type, item_id, low, high).items():
                views.append((day, content_type, item_id, slug, count))
    (root / VISITORS_CSV).parent.mkdir()
    _write_csv(root / VISITORS_CSV, ("date", "visitors"), sorted(visitors.items()))
    _write_csv(
        root / VIEWS_CSV, ("date", "contentType", "contentId", "slug", "views"), sorted(views)
    )
    return {"visitorDays": len(visitors), "viewRows": len(views)}


def _write_csv(path: Path, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    _write(path, buffer.getvalue())


def _write(path: Path, text: str) -> None:
    """UTF-8 with the newlines as given, on every platform: bodies are kept byte for byte."""
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(text)
