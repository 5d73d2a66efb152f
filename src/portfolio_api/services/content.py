"""The publishing rules shared by every collection: visibility, slugs, versions, lists."""

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from portfolio_api.content.slugs import candidates, is_slug, slugify
from portfolio_api.content.spec import ContentSpec, facet_key
from portfolio_api.core.clock import Clock, iso_z
from portfolio_api.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from portfolio_api.core.ids import new_id
from portfolio_api.core.pagination import CursorCodec
from portfolio_api.core.security import Principal
from portfolio_api.core.validation import error_list, refuse_nulls
from portfolio_api.repositories.base import Item
from portfolio_api.repositories.base import Page as StoredPage
from portfolio_api.repositories.content import (
    ALL,
    PUBLISHED,
    ContentRepository,
    SlugClaimed,
    SlugRedirect,
    WriteRaced,
)
from portfolio_api.schemas.common import ApiModel, Page
from portfolio_api.schemas.content import ContentMeta, FacetCount
from portfolio_api.services.optimistic import WRITE_ATTEMPTS, change_versioned, changed

DRAFT = "draft"
DERIVED_SLUG_ATTEMPTS = 10
Written = Literal["created", "updated", "unchanged"]


class SlugTaken(Conflict):
    code, title = "slug_taken", "Slug already used"


class MovedPermanently(Exception):
    """A slug the item held before: the client should follow `location`."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class ContentService:
    """Create, read, change, publish and list the items of any collection."""

    def __init__(self, repository: ContentRepository, clock: Clock, cursors: CursorCodec) -> None:
        self._repository = repository
        self._clock = clock
        self._cursors = cursors

    # reads

    def get(self, spec: ContentSpec, id_or_slug: str, principal: Principal | None) -> ContentMeta:
        """By id or slug; drafts are the owner's; a former slug raises `MovedPermanently`."""
        is_owner = bool(principal and principal.is_owner)
        if not is_slug(id_or_slug):
            return self._visible(spec, self._repository.get(spec, id_or_slug), is_owner)
        found = self._repository.find_by_slug(spec, id_or_slug)
        if not isinstance(found, SlugRedirect):
            return self._visible(spec, found, is_owner)
        current = self._visible(spec, self._repository.get(spec, found.item_id), is_owner)
        raise MovedPermanently(f"{spec.path}/{current.slug}")

    def list_items(
        self,
        spec: ContentSpec,
        *,
        status: str | None,
        filters: Mapping[str, object],
        limit: int,
        cursor: str | None,
        principal: Principal | None,
    ) -> Page[ContentMeta]:
        """One page of a list; drafts and `all` are the owner's; filters combine (AND)."""
        status = status or PUBLISHED
        if status != PUBLISHED:
            if principal is None:
                raise Unauthorized("Sign in as the owner to list drafts.")
            if not principal.is_owner:
                raise Forbidden("Only the owner may list drafts.")
        wanted = {param: facet_key(value) for param, value in filters.items()}
        scope = _list_scope(spec, status, wanted)
        start = self._cursors.decode(scope, cursor)
        page: StoredPage
        if wanted:
            page = self._repository.list_filtered(spec, status, wanted, limit, start)
        elif status == ALL:
            page = self._repository.list_all(spec, limit, start)
        else:
            page = self._repository.list_status(spec, status, limit, start)
        items = page.items
        if wanted:  # facet entries carry no views: read the page's counters (1 call)
            views = self._repository.current_views(spec, [str(i["id"]) for i in items])
            items = [{**item, "views": views[str(item["id"])]} for item in items]
        return spec.page_model(
            items=[self.present(spec, item, summary=True) for item in items],
            next_cursor=self._cursors.encode(scope, page.next_key),
        )

    def facet_counts(self, spec: ContentSpec) -> list[FacetCount]:
        """Published counts of the counted facet, most used first."""
        facet = spec.counted_facet
        if facet is None:
            return []
        counters = [c for c in self._repository.facet_counts(spec, facet.param) if c["count"] > 0]
        counters.sort(key=lambda c: (-int(c["count"]), str(c["name"]).lower()))
        return [FacetCount(name=str(c["name"]), count=int(c["count"])) for c in counters]

    # writes

    def create(self, spec: ContentSpec, body: ApiModel) -> ContentMeta:
        """A new item (draft unless the body says published) under a unique slug."""
        now = iso_z(self._clock())
        fields = body.model_dump(mode="json", by_alias=True, exclude_none=True)
        explicit_slug = fields.pop("slug", None)
        status = fields.pop("status", DRAFT)
        state: Item = {
            **fields,
            "id": new_id(),
            "status": status,
            "publishedAt": now if status == PUBLISHED else None,
            "createdAt": now,
            "updatedAt": now,
            "version": 1,
            "views": 0,
        }
        state.update(spec.on_write(state))
        if explicit_slug:
            slugs = [explicit_slug]
        else:
            base = slugify(str(fields[to_camel(spec.slug_source)]), spec.singular)
            suffix = new_id()[-6:].lower()
            slugs = [*candidates(base, DERIVED_SLUG_ATTEMPTS), f"{base[:90]}-{suffix}"]
        for slug in slugs:
            for _ in range(WRITE_ATTEMPTS):
                try:
                    self._repository.save(
                        spec, None, {**state, "slug": slug}, take_redirects=bool(explicit_slug)
                    )
                except WriteRaced:
                    continue  # the new id was taken (never, for a fresh ULID): try again
                except SlugClaimed:
                    break
                return self.present(spec, {**state, "slug": slug})
            else:
                raise Conflict("The collection is changing; try again.")
        raise SlugTaken(f"The slug {slugs[0]!r} is already used in this collection.")

    def put_imported(
        self,
        spec: ContentSpec,
        body: ApiModel,
        *,
        item_id: str | None = None,
        created_at: str | None = None,
        updated_at: str | None = None,
        published_at: str | None = None,
        former_slugs: Sequence[str] = (),
        version: int | None = None,
    ) -> Written:
        """The item an export file states (`portfolio-api import`), upserted by its id (a
        renamed item) else by slug, keeping the id, instants and version the file gives (a
        change never lowers a stored version, so an `ETag` never names two states). Written through
        the same transaction as create and edit, so slug claims, list entries and counts hold;
        an item already in that state is not written, so a second import changes nothing.
        Then each former slug the item lacks is made a redirect to it (taking over another
        item's redirect, as an explicit slug does; never a slug an item holds now)."""
        fields = body.model_dump(mode="json", by_alias=True)  # every field: absent ones clear
        slug, status = fields.pop("slug"), fields.pop("status")
        if not isinstance(slug, str) or not isinstance(status, str):
            raise ValidationFailed("An imported item needs a slug and a status.")
        fields.update(slug=slug, status=status)
        now = iso_z(self._clock())
        instants = {"publishedAt": published_at, "createdAt": created_at, "updatedAt": updated_at}
        old = self._import_target(spec, slug, item_id)
        if old is None:
            target = item_id or new_id()
            written = self._create_imported(spec, fields, target, instants, now, version)
        else:
            target = str(old["id"])
            written = self._update_imported(spec, target, fields, instants, now, version)
        missing = sorted(
            set(former_slugs) - self._repository.redirects_to(spec, target, former_slugs)
        )
        if missing:
            try:
                self._repository.claim_redirects(spec, target, missing)
            except SlugClaimed:
                raise SlugTaken(
                    f"A former slug of {slug!r} is held by another item.",
                    errors=[{"field": "formerSlugs", "message": "held by another item"}],
                ) from None
        return "updated" if missing and written == "unchanged" else written

    def is_stored(self, spec: ContentSpec, item_id: str) -> bool:
        """Whether an item has this id: an imported file naming it changes that item."""
        return self._repository.get(spec, item_id, consistent=True) is not None

    def slug_holder(self, spec: ContentSpec, slug: str) -> str | None:
        """The id of the item whose slug this is now (a redirect holds no slug: a write may
        take it over): what an import checks before writing."""
        found = self._repository.find_by_slug(spec, slug)
        return None if found is None or isinstance(found, SlugRedirect) else str(found["id"])

    def former_slugs(self, spec: ContentSpec, item_id: str) -> list[str]:
        """The slugs that answer 301 to the item, in order: what an export carries."""
        return self._repository.former_slugs(spec, item_id)

    def _create_imported(
        self,
        spec: ContentSpec,
        fields: Item,
        item_id: str,
        instants: dict[str, str | None],
        now: str,
        version: int | None,
    ) -> Written:
        """A new item of an imported file, written as create writes one."""
        state: Item = {
            **{k: v for k, v in fields.items() if v is not None},
            "id": item_id,
            "createdAt": instants["createdAt"] or now,
            "updatedAt": instants["updatedAt"] or now,
            "version": version or 1,
            "views": 0,
        }
        state["publishedAt"] = _imported_published(fields["status"], None, instants, now)
        state.update(spec.on_write(state))
        try:
            self._repository.save(spec, None, state, take_redirects=True)
        except SlugClaimed:
            raise SlugTaken(f"The slug {state['slug']!r} is held by another item.") from None
        except WriteRaced:
            raise Conflict(f"The id {item_id!r} is taken; try again.") from None
        return "created"

    def _update_imported(
        self,
        spec: ContentSpec,
        item_id: str,
        fields: Item,
        instants: dict[str, str | None],
        now: str,
        version: int | None,
    ) -> Written:
        """A stored item brought to an imported file's state through `_mutate`: "unchanged"
        when it is already in it (on the attempt that wrote or found it so)."""

        def change(current: Item) -> Item | None:
            wanted = _imported_state(current, fields, instants, now)
            wanted.update(spec.on_write({**current, **wanted}))
            if not changed(current, wanted):
                return None
            next_version = max(current["version"] + 1, version or 0)
            return {
                **current,
                **wanted,
                "updatedAt": instants["updatedAt"] or now,
                "version": next_version,
            }

        return self._mutate(
            spec, item_id, None, change, _answer("updated"), unchanged=_answer("unchanged")
        )

    def _import_target(self, spec: ContentSpec, slug: str, item_id: str | None) -> Item | None:
        """The stored item an imported file is: its id's item (renamed, perhaps), else the
        holder of its slug (the same content from another stack, under another id)."""
        if item_id and (same := self._repository.get(spec, item_id, consistent=True)):
            return same
        found = self._repository.find_by_slug(spec, slug)
        return None if found is None or isinstance(found, SlugRedirect) else found

    def update(
        self, spec: ContentSpec, item_id: str, patch: ApiModel, expected_version: int | None
    ) -> ContentMeta:
        """Apply the fields sent; the merged item must still satisfy the create rules."""
        changes = patch.model_dump(mode="json", by_alias=True, exclude_unset=True)

        def change(old: Item) -> Item | None:
            merged = {**old, **changes}
            refuse_nulls(changes, lambda field: _nullable(spec, field))
            self._validate_merged(spec, merged)
            merged.update(spec.on_write(merged))
            if not changed(old, changes):
                return None
            now = iso_z(self._clock())
            if merged["status"] == PUBLISHED and not merged.get("publishedAt"):
                merged["publishedAt"] = now  # publishing through PATCH, as publish would
            return {**merged, "updatedAt": now, "version": old["version"] + 1}

        return self._mutate(spec, item_id, expected_version, change, self._presenter(spec))

    def publish(self, spec: ContentSpec, item_id: str) -> ContentMeta:
        """Published from now on; `publishedAt` keeps the first publication's instant."""

        def change(old: Item) -> Item | None:
            if old["status"] == PUBLISHED:
                return None
            now = iso_z(self._clock())
            return {
                **old,
                "status": PUBLISHED,
                "publishedAt": old.get("publishedAt") or now,
                "updatedAt": now,
                "version": old["version"] + 1,
            }

        return self._mutate(spec, item_id, None, change, self._presenter(spec))

    def unpublish(self, spec: ContentSpec, item_id: str) -> ContentMeta:
        """Back to draft; `publishedAt` is kept for the next publication."""

        def change(old: Item) -> Item | None:
            if old["status"] == DRAFT:
                return None
            now = iso_z(self._clock())
            return {**old, "status": DRAFT, "updatedAt": now, "version": old["version"] + 1}

        return self._mutate(spec, item_id, None, change, self._presenter(spec))

    def delete(self, spec: ContentSpec, item_id: str, expected_version: int | None) -> None:
        """Remove the item with its slug claim, list entries and counts."""
        self._mutate(spec, item_id, expected_version, lambda _old: None, _nothing, delete=True)

    def present(self, spec: ContentSpec, item: Item, *, summary: bool = False) -> ContentMeta:
        """The read model of a stored item (a list's summary leaves out the long fields)."""
        model = spec.summary_model if summary else spec.read_model
        return model.from_item(
            {**item, **spec.on_read(item, self._clock().date())}, absent=spec.absent_values
        )

    # internals

    def _presenter(self, spec: ContentSpec) -> Callable[[Item], ContentMeta]:
        return lambda item: self.present(spec, item)

    def _mutate[Answer](
        self,
        spec: ContentSpec,
        item_id: str,
        expected_version: int | None,
        change: Callable[[Item], Item | None],
        answer: Callable[[Item], Answer],
        *,
        delete: bool = False,
        unchanged: Callable[[Item], Answer] | None = None,
    ) -> Answer:
        """Change the item through the shared optimistic loop; the write is one transaction.
        `answer` makes the reply from the item as it now is (a delete replies nothing, so
        nothing of the removed item is read into a model); `unchanged`, if given, the reply
        when `change` finds nothing to do."""

        def write(old: Item, new: Item | None) -> Answer:
            try:
                self._repository.save(spec, old, new)
            except SlugClaimed:
                raise SlugTaken("That slug is already used in this collection.") from None
            return answer(new or old)

        return change_versioned(
            read=lambda: self._repository.get(spec, item_id, consistent=True),
            change=change,
            write=write,
            unchanged=unchanged or answer,
            expected_version=expected_version,
            missing=lambda: NotFound(f"No {spec.singular} with id {item_id!r}."),
            lost_race=WriteRaced,
            delete=delete,
        )

    def _validate_merged(self, spec: ContentSpec, merged: Item) -> None:
        """The merged item must pass the create rules (lengths, URLs, date order)."""
        wire = _wire_fields(spec)
        public = {k: v for k, v in merged.items() if k in wire and v is not None}
        try:
            spec.create_model.model_validate(public)
        except ValidationError as exc:
            raise ValidationFailed(
                "The change is not valid.", errors=error_list(exc.errors())
            ) from None

    def _visible(self, spec: ContentSpec, item: Item | None, is_owner: bool) -> ContentMeta:
        if item is None or (item.get("status") != PUBLISHED and not is_owner):
            raise NotFound(f"No such {spec.singular}.")
        return self.present(spec, item)


def _imported_published(
    status: str, stored: str | None, instants: dict[str, str | None], now: str
) -> str | None:
    """An imported item's `publishedAt`: the file's, else the stored one, else now if the
    item is published."""
    return instants["publishedAt"] or stored or (now if status == PUBLISHED else None)


def _imported_state(current: Item, fields: Item, instants: dict[str, str | None], now: str) -> Item:
    """The fields a stored item has once an imported file's state is applied to it."""
    return {
        **fields,
        "publishedAt": _imported_published(
            fields["status"], current.get("publishedAt"), instants, now
        ),
        "createdAt": instants["createdAt"] or current["createdAt"],
    }


def _answer(written: Written) -> Callable[[Item], Written]:
    return lambda _item: written


def _nothing(_item: Item) -> None:
    """A delete's reply."""


def _list_scope(spec: ContentSpec, status: str, wanted: Mapping[str, str]) -> str:
    """What a cursor is bound to: the collection, the status and the filters' values.

    An unfiltered list keeps the scope the release before combined filters signed ("None"), so
    the cursors public pages hand out stay valid across the upgrade.
    """
    filters = json.dumps(sorted(wanted.items())) if wanted else "None"
    return f"{spec.name}|{status}|{filters}"


def _wire_fields(spec: ContentSpec) -> set[str]:
    return {info.alias or name for name, info in spec.create_model.model_fields.items()}


def _nullable(spec: ContentSpec, alias: str) -> bool:
    """Whether PATCH may clear a field: only optional fields whose default is null, and never
    the slug (optional only on create, where it is derived when absent)."""
    return alias != "slug" and any(
        (info.alias or name) == alias and not info.is_required() and info.default is None
        for name, info in spec.create_model.model_fields.items()
    )
