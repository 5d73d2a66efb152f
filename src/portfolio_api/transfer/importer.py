"""`portfolio-api import DIR`: read and validate every file first, then upsert through the
services, so an import obeys the API's rules and a second run of the same folder writes nothing.

The analytics CSVs are a report, not imported: the counters' backup is point-in-time recovery.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from portfolio_api.container import Container
from portfolio_api.content.collections import ALL_COLLECTIONS
from portfolio_api.content.spec import ContentSpec
from portfolio_api.core.errors import ApiError
from portfolio_api.schemas.common import ApiModel
from portfolio_api.schemas.products import ProductCreate
from portfolio_api.transfer.format import (
    FORMAT,
    MANIFEST,
    META_LAST,
    PRODUCTS,
    Document,
    FileProblem,
    read_document,
    suffix,
)

_ID = re.compile(r"^(?=.*[A-Z])[0-9A-Z]{26}$")  # as core/ids.py makes them: never a slug
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")  # core/clock.py's iso_z


@dataclass(frozen=True)
class Planned:
    """One valid file, ready to write: its collection (None: a product), body and kept meta."""

    path: str
    spec: ContentSpec | None
    body: ApiModel
    kept: dict[str, str]


@dataclass
class Plan:
    """A folder read whole: what to write, and every problem found (nothing is written if any)."""

    files: list[Planned] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Tally:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)


def read_folder(directory: Path) -> Plan:
    """Parse and validate every file; problems read `file:line: field: message`."""
    plan = Plan()
    if not directory.is_dir():
        plan.problems.append(f"{directory}: not a folder")
        return plan
    _check_manifest(directory, plan)
    for spec in ALL_COLLECTIONS:
        _read_files(directory, spec.folder, suffix(spec), plan, partial(_content, spec))
    _read_files(directory, PRODUCTS, ".yaml", plan, _product)
    # Oldest first: a product's place in the lists is the order it is created in.
    plan.files.sort(key=lambda p: (p.spec is None, p.kept.get("createdAt", ""), p.path))
    return plan


def import_plan(
    container: Container, plan: Plan, on_progress: Callable[[int, int], None] = lambda _d, _t: None
) -> Tally:
    """Upsert each planned file; a refusal (a slug another item holds) is reported, not fatal."""
    tally = Tally()
    for done, planned in enumerate(plan.files, start=1):
        try:
            written = _put(container, planned)
        except ApiError as exc:
            details = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors or [])
            tally.failed.append(f"{planned.path}: {exc.detail}{f' ({details})' if details else ''}")
        else:
            setattr(tally, written, getattr(tally, written) + 1)
        on_progress(done, len(plan.files))
    return tally


def _put(container: Container, planned: Planned) -> str:
    kept = planned.kept
    if planned.spec is None:
        assert isinstance(planned.body, ProductCreate)
        return container.product_service.put_imported(
            planned.body, created_at=kept.get("createdAt"), updated_at=kept.get("updatedAt")
        )
    return container.content_service.put_imported(
        planned.spec,
        planned.body,
        item_id=kept.get("id"),
        created_at=kept.get("createdAt"),
        updated_at=kept.get("updatedAt"),
        published_at=kept.get("publishedAt"),
    )


def _check_manifest(directory: Path, plan: Plan) -> None:
    """A manifest is optional (a hand-made folder has none); if there, it names this format."""
    path = directory / MANIFEST
    if not path.is_file():
        return
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        plan.problems.append(f"{MANIFEST}:1: not valid JSON: {exc}")
        return
    found = manifest.get("format") if isinstance(manifest, dict) else None
    if found != FORMAT:
        plan.problems.append(f"{MANIFEST}:1: format: expected {FORMAT!r}, found {found!r}")


def _read_files(
    directory: Path,
    folder: str,
    extension: str,
    plan: Plan,
    parse: Callable[[Path], tuple[ApiModel, dict[str, str]]],
) -> None:
    """Each file of one folder; two files naming one item are a problem too."""
    base = directory / folder
    if not base.is_dir():
        return
    spec = next((s for s in ALL_COLLECTIONS if s.folder == folder), None)
    seen: dict[str, str] = {}
    seen_ids: dict[str, str] = {}  # a collection's kept ids: two files must not name one item
    for path in sorted(base.iterdir()):
        if path.name.startswith("."):
            continue
        relative = f"{folder}/{path.name}"
        if path.suffix != extension or not path.is_file():
            plan.problems.append(f"{relative}:1: expected files named <name>{extension}")
            continue
        try:
            body, kept = parse(path)
        except FileProblem as problem:
            where = f"{relative}:{problem.line}: "
            plan.problems.append(
                where + (f"{problem.field}: " if problem.field else "") + problem.message
            )
            continue
        except _Invalid as invalid:
            plan.problems.extend(
                f"{relative}:{line}: {name}: {message}" for line, name, message in invalid.problems
            )
            continue
        name = str(getattr(body, "slug", None) or getattr(body, "id", ""))
        if name in seen:
            plan.problems.append(
                f"{relative}:1: {'slug' if spec else 'id'}: {name!r} is also {seen[name]}'s"
            )
            continue
        item_id = kept.get("id")
        if item_id is not None and item_id in seen_ids:
            plan.problems.append(f"{relative}:1: id: {item_id!r} is also {seen_ids[item_id]}'s")
            continue
        seen[name] = relative
        if item_id is not None:
            seen_ids[item_id] = relative
        plan.files.append(Planned(relative, spec, body, kept))


class _Invalid(Exception):
    """Every problem of one file: (line, field, message)."""

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


def _text(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", newline="") as file:  # newlines kept as written
            return file.read()
    except UnicodeDecodeError as exc:
        raise FileProblem(1, "", f"not UTF-8 text: {exc.reason}") from None


def _content(spec: ContentSpec, path: Path) -> tuple[ApiModel, dict[str, str]]:
    """A collection's file: front matter (or YAML) validated by the collection's create model."""
    document = read_document(_text(path), spec.body_field)
    fields = document.fields
    problems: list[tuple[int, str, str]] = []
    kept = _kept(document, ("id", *META_LAST), problems)
    if fields.get("slug") is None:  # left out or empty (`slug:`): the file name
        fields["slug"] = path.stem
    return _validated(spec.create_model, document, spec.body_field, problems), kept


def _product(path: Path) -> tuple[ApiModel, dict[str, str]]:
    """A product's file, validated by the product create model; its id, else its file name."""
    document = read_document(_text(path), None)
    problems: list[tuple[int, str, str]] = []
    kept = _kept(document, ("createdAt", "updatedAt"), problems)
    if document.fields.get("id") is None:  # left out or empty (`id:`): the file name
        document.fields["id"] = path.stem
    return _validated(ProductCreate, document, None, problems), kept


def _kept(
    document: Document, names: tuple[str, ...], problems: list[tuple[int, str, str]]
) -> dict[str, str]:
    """The meta fields the API sets itself but an import keeps: taken out and checked."""
    kept: dict[str, str] = {}
    for name in names:
        value: Any = document.fields.pop(name, None)
        if value is None:  # left out, or empty (`id:`): as if left out
            continue
        if name == "id":
            if not (isinstance(value, str) and _ID.match(value)):
                problems.append(
                    (
                        document.line_of(name),
                        name,
                        "must be a 26-character id as the API makes them, or left out",
                    )
                )
                continue
        elif not (isinstance(value, str) and _INSTANT.match(value) and _is_instant(value)):
            problems.append(
                (
                    document.line_of(name),
                    name,
                    "must be an instant like 2026-01-31T09:30:00Z, in UTC to the second",
                )
            )
            continue
        kept[name] = value
    return kept


def _is_instant(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return False
    return True


def _validated(
    model: type[ApiModel],
    document: Document,
    body_field: str | None,
    problems: list[tuple[int, str, str]],
) -> ApiModel:
    """The create model of the file's fields, or every problem with its line."""
    try:
        body = model.model_validate(document.fields)
    except ValidationError as exc:
        for error in exc.errors():
            location = [str(part) for part in error["loc"]]
            name = location[0] if location else ""
            line = (
                document.body_line
                if name and name == body_field and name not in document.lines
                else document.line_of(name)
            )
            problems.append((line, ".".join(location), error["msg"]))
    if problems:
        problems.sort()
        raise _Invalid(problems)
    return body
