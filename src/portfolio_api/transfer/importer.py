"""`portfolio-api import DIR`: read and validate every file first, then upsert through the
services, so an import obeys the API's rules and a second run of the same folder writes nothing.

The analytics CSVs are a report, not imported: the counters' backup is point-in-time recovery.
"""

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import TypeAdapter, ValidationError

from portfolio_api.container import Container
from portfolio_api.content.collections import ALL_COLLECTIONS
from portfolio_api.content.spec import ContentSpec
from portfolio_api.core.errors import ApiError
from portfolio_api.schemas.common import ApiModel
from portfolio_api.schemas.content import Slug
from portfolio_api.schemas.products import ProductCreate
from portfolio_api.transfer.format import (
    FORMAT,
    FORMER_SLUGS,
    MANIFEST,
    META_LAST,
    PRODUCTS,
    VERSION,
    Document,
    FileProblem,
    read_document,
    suffix,
)

_ID = re.compile(r"^(?=.*[A-Z])[0-9A-Z]{26}$")  # as core/ids.py makes them: never a slug
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")  # core/clock.py's iso_z
_SLUGS: TypeAdapter[list[str]] = TypeAdapter(list[Slug])


class Parsed(NamedTuple):
    """One file read and validated: its create body, its slug (or id), the meta it keeps, its
    former slugs, the line each of its fields is on, and its version."""

    body: ApiModel
    name: str  # a content file's slug, a product file's id
    kept: dict[str, str]
    former_slugs: tuple[str, ...] = ()
    lines: Mapping[str, int] = {}
    version: int | None = None


@dataclass(frozen=True)
class Planned:
    """One valid file, ready to write: its collection (None: a product) and what it says."""

    path: str
    spec: ContentSpec | None
    parsed: Parsed

    @property
    def body(self) -> ApiModel:
        return self.parsed.body

    @property
    def kept(self) -> dict[str, str]:
        return self.parsed.kept

    def line_of(self, name: str) -> int:
        return self.parsed.lines.get(name, 1)


@dataclass
class Plan:
    """A folder read whole: what to write, and every problem found (nothing is written if any)."""

    files: list[Planned] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Tally:
    """What an import did: counts, files that failed while written, and (then nothing was
    written) what the stack refused before any write."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


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
    """Check the plan against the stack (`check_targets`): if the stack refuses any file,
    write nothing and report each. Else upsert each planned file; a refusal that only a write
    racing this import can cause is reported with its file, and the rest is still written."""
    tally = Tally()
    tally.refused = check_targets(container, plan)
    if tally.refused:
        return tally
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


def check_targets(container: Container, plan: Plan) -> list[str]:
    """What the stack would refuse, found before anything is written: a file's slug or former
    slug that a stored item holds now, where no file of the plan moves that item off it. The
    files are put in the order that frees a slug before it is taken; a circle (two items
    swapping slugs) has no such order and is refused. Products are upserted by id."""
    service = container.content_service
    content = [p for p in plan.files if p.spec is not None]
    holders: dict[tuple[str, str], str | None] = {}

    def holder_of(spec: ContentSpec, slug: str) -> str | None:
        if (spec.name, slug) not in holders:
            holders[(spec.name, slug)] = service.slug_holder(spec, slug)
        return holders[(spec.name, slug)]

    # Which stored item each file changes: the one its id names, else the holder of its slug,
    # unless another file names that item by id (then this file is a new item).
    target_of: dict[str, str | None] = {}
    file_of: dict[tuple[str, str], Planned] = {}  # (collection, stored id) → the file for it
    for planned in content:
        spec, item_id = _spec(planned), planned.kept.get("id")
        if item_id is not None and service.is_stored(spec, item_id):
            target_of[planned.path] = item_id
            file_of[(spec.name, item_id)] = planned
    for planned in content:
        spec = _spec(planned)
        if planned.path in target_of:
            continue
        holder = holder_of(spec, planned.parsed.name)
        target_of[planned.path] = None if (spec.name, holder) in file_of else holder
        if holder is not None and (spec.name, holder) not in file_of:
            file_of[(spec.name, holder)] = planned

    # Each slug a file takes is free, a redirect, its item's own, or freed by another file.
    problems: list[str] = []
    waits: dict[str, list[tuple[Planned, str, str]]] = {p.path: [] for p in content}
    for planned in content:
        spec = _spec(planned)
        for name, slug in _slugs(planned):
            holder = holder_of(spec, slug)
            if holder is None or holder == target_of[planned.path]:
                continue
            freer = file_of.get((spec.name, holder))
            if freer is not None:  # it renames that item (two files never share a slug)
                waits[planned.path].append((freer, name, slug))
                continue
            problems.append(
                f"{planned.path}:{planned.line_of(name)}: {name}: {slug!r} is the slug of "
                f"stored item {holder}"
            )
    ordered = _freed_first(content, waits, problems)
    plan.files = [*ordered, *(p for p in plan.files if p.spec is None)]
    return problems


def _freed_first(
    files: list[Planned], waits: dict[str, list[tuple[Planned, str, str]]], problems: list[str]
) -> list[Planned]:
    """`files` in their order, except that a file comes after each file freeing a slug it
    takes; files left in a circle are problems."""
    ordered: list[Planned] = []
    placed: set[str] = set()
    left = list(files)
    while left:  # one pass per link of the longest chain of renames: once, for most folders
        waiting = []
        for planned in left:
            if all(freer.path in placed for freer, _name, _slug in waits[planned.path]):
                ordered.append(planned)
                placed.add(planned.path)
            else:
                waiting.append(planned)
        if len(waiting) == len(left):
            for planned in waiting:
                problems.extend(
                    f"{planned.path}:{planned.line_of(name)}: {name}: {slug!r} is freed by "
                    f"{freer.path}, which needs a slug this import frees after it (a swap): "
                    "import once with a slug no item holds, then again"
                    for freer, name, slug in waits[planned.path]
                )
            return ordered
        left = waiting
    return ordered


def _spec(planned: Planned) -> ContentSpec:
    assert planned.spec is not None
    return planned.spec


def _slugs(planned: Planned) -> list[tuple[str, str]]:
    """The slugs a file takes, with the field each is in."""
    return [
        ("slug", planned.parsed.name),
        *((FORMER_SLUGS, slug) for slug in planned.parsed.former_slugs),
    ]


def _put(container: Container, planned: Planned) -> str:
    kept = planned.kept
    if planned.spec is None:
        assert isinstance(planned.body, ProductCreate)
        return container.product_service.put_imported(
            planned.body,
            created_at=kept.get("createdAt"),
            updated_at=kept.get("updatedAt"),
            version=planned.parsed.version,
        )
    return container.content_service.put_imported(
        planned.spec,
        planned.body,
        item_id=kept.get("id"),
        created_at=kept.get("createdAt"),
        updated_at=kept.get("updatedAt"),
        published_at=kept.get("publishedAt"),
        former_slugs=planned.parsed.former_slugs,
        version=planned.parsed.version,
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
    parse: Callable[[Path], Parsed],
) -> None:
    """Each file of one folder; two files naming one item, or one slug, are a problem too."""
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
            parsed = parse(path)
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
        planned = Planned(relative, spec, parsed)
        names = [
            ("slug" if spec else "id", parsed.name),
            *((FORMER_SLUGS, slug) for slug in parsed.former_slugs),
        ]
        clashes = [
            f"{relative}:{planned.line_of(field)}: {field}: {name!r} is also {seen[name]}'s"
            for field, name in names
            if name in seen
        ]
        item_id = parsed.kept.get("id")
        if item_id is not None and item_id in seen_ids:
            clashes.append(
                f"{relative}:{planned.line_of('id')}: id: {item_id!r} is also {seen_ids[item_id]}'s"
            )
        if clashes:
            plan.problems.extend(clashes)
            continue
        seen.update((name, relative) for _field, name in names)
        if item_id is not None:
            seen_ids[item_id] = relative
        plan.files.append(planned)


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


def _content(spec: ContentSpec, path: Path) -> Parsed:
    """A collection's file: front matter (or YAML) validated by the collection's create model."""
    document = read_document(_text(path), spec.body_field)
    fields = document.fields
    problems: list[tuple[int, str, str]] = []
    kept = _kept(document, ("id", *META_LAST), problems)
    version = _version(document, problems)
    former = _former_slugs(document, problems)
    if fields.get("slug") is None:  # left out or empty (`slug:`): the file name
        fields["slug"] = path.stem
    body = _validated(spec.create_model, document, spec.body_field, problems)
    if _field(body, "slug") in former:
        line = document.line_of(FORMER_SLUGS)
        raise _Invalid([(line, FORMER_SLUGS, "must not hold the item's own slug")])
    return Parsed(body, _field(body, "slug"), kept, former, document.lines, version)


def _version(document: Document, problems: list[tuple[int, str, str]]) -> int | None:
    """`version`: a whole number from 1 (the `ETag` the item had); left out: 1 for a new item."""
    value: Any = document.fields.pop(VERSION, None)
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        return value
    problems.append((document.line_of(VERSION), VERSION, "must be a whole number from 1"))
    return None


def _former_slugs(document: Document, problems: list[tuple[int, str, str]]) -> tuple[str, ...]:
    """`formerSlugs`: slugs (as the API takes them), each once; left out or empty: none."""
    value: Any = document.fields.pop(FORMER_SLUGS, None)
    if value is None:
        return ()
    line = document.line_of(FORMER_SLUGS)
    try:
        slugs = _SLUGS.validate_python(value)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in (FORMER_SLUGS, *error["loc"]))
            problems.append((line, where, error["msg"]))
        return ()
    if len(set(slugs)) != len(slugs):
        problems.append((line, FORMER_SLUGS, "names a slug more than once"))
    return tuple(slugs)


def _product(path: Path) -> Parsed:
    """A product's file, validated by the product create model; its id, else its file name."""
    document = read_document(_text(path), None)
    problems: list[tuple[int, str, str]] = []
    kept = _kept(document, ("createdAt", "updatedAt"), problems)
    version = _version(document, problems)
    if document.fields.get("id") is None:  # left out or empty (`id:`): the file name
        document.fields["id"] = path.stem
    body = _validated(ProductCreate, document, None, problems)
    return Parsed(body, _field(body, "id"), kept, (), document.lines, version)


def _field(body: ApiModel, name: str) -> str:
    """A validated body's slug or id, as the model made it (trimmed)."""
    return str(body.model_dump(include={name})[name])


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
