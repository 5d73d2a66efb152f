"""Content items, their list entries, slug claims and counters, written together.

Every change is one `TransactWriteItems` planned from the item before and after it
(`old` → `new`; None on either side for create and delete), so none of these can disagree:

- the item itself (`SK = ITEM`, found by id, and through GSI3 by slug): Put with
  `attribute_not_exists` on create, otherwise Update/Delete on the condition
  `version = <the version read>`; `views` is never written by these updates, and the status
  and `all` entries, which carry it too, are updated field by field once they exist, so a view
  counted since the read is neither overwritten nor a reason to refuse the edit;
- its list entries, light copies without the long Markdown body: one in its status list
  (GSI1), one in the owner's `all` list (GSI2), and one per facet value, in that value's list
  at the item's status (GSI1) and in its `all` list (GSI2); a view moves `views` on the first
  two, so facet entries carry none: a facet list reads the page's counts from the items' view
  counters (`current_views`). Facet entries also hold `facetKeys` (`<facet>#<value>` of every
  facet), which a list filtered on several facets matches as a filter;
- its slug claim: taken on create or rename, turned into a redirect for the old slug on rename
  (found by that slug through GSI3, and under the item through GSI1, which lists an item's
  former slugs), deleted with the item;
- an atomic `ADD` of ±1 on the counter of each facet value that comes or goes, `count` for
  published items and `drafts` for drafts (the blog's category counts; for every facet, the
  sizes a combined filter uses to Query the rarest value). Items written before the layout
  `listLayout` = 2 were counted only in the published category counts; their first write under
  this code (any edit, or `portfolio-api reindex`) counts them in full.

Each action names what its condition failing means (the item's → `WriteRaced`, the slug claim's
→ `SlugClaimed`); collisions and throttling are retried by the base, then 503; a rejected
(oversized) request is a 400. The transaction carries a `ClientRequestToken`, so a resend after a
lost answer is answered, not applied again.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError
from pydantic.alias_generators import to_camel

from portfolio_api.content.spec import ContentSpec
from portfolio_api.core.errors import ValidationFailed
from portfolio_api.db import keys
from portfolio_api.db.entities import (
    CONTENT_ITEM,
    CONTENT_LIST_ENTRY,
    FACET_COUNTER,
    FACET_LIST,
    SLUG_CLAIM,
    content_item_entries,
    content_list_entries,
)
from portfolio_api.repositories.analytics import top_counter_actions
from portfolio_api.repositories.base import (
    ConditionFailed,
    Item,
    Page,
    Repository,
    action,
    deserialize,
    serialize,
    state_of,
    state_update,
)

PUBLISHED = "published"
DRAFT = "draft"
ALL = "all"
FACET_KEYS = "facetKeys"  # on facet entries: `<facet>#<value>` of every facet, for AND filters
LIST_LAYOUT = "listLayout"  # which list entries and counts the stored item has
CURRENT_LIST_LAYOUT = 2  # 2: facet entries and counts at every status; 1 (absent): published

MAX_ITEM_BYTES = 380 * 1024  # DynamoDB's 400 KB item limit, less room for names and keys
MAX_TRANSACTION_ACTIONS = 100  # DynamoDB's limit for one TransactWriteItems
MAX_BATCH_GET = 100  # and for one BatchGetItem


class WriteRaced(Exception):
    """The item changed (or vanished) between the read and the write, or another write raced."""


class SlugClaimed(Exception):
    """Another item holds the slug."""


@dataclass(frozen=True, slots=True)
class SlugRedirect:
    """A slug an item held before: `item_id` names the item that holds the current one."""

    item_id: str


class ContentRepository(Repository):
    """Reads and transactional writes of every collection's items."""

    def get(self, spec: ContentSpec, item_id: str, *, consistent: bool = False) -> Item | None:
        """The item's state by id (its attributes without keys and index entries)."""
        item = self._get(keys.content_item(spec.name, item_id), consistent=consistent)
        return state_of(item) if item else None

    def find_by_slug(self, spec: ContentSpec, slug: str) -> Item | SlugRedirect | None:
        """The item holding the slug, or the redirect of a slug an item held before."""
        page = self._query_page(
            keys.content_slug_partition(spec.name, slug), index=keys.GSI3, limit=1, start_key=None
        )
        if not page.items:
            return None
        found = page.items[0]
        if found.get(keys.ENTITY) == SLUG_CLAIM.tag:
            return SlugRedirect(str(found["itemId"]))
        return state_of(found)

    def list_status(
        self, spec: ContentSpec, status: str, limit: int, start: dict[str, str] | None
    ) -> Page:
        """Published items by `publishedAt`, or drafts by `updatedAt`, newest first."""
        partition = keys.content_status_partition(spec.name, status)
        return self._query_page(partition, index=keys.GSI1, limit=limit, start_key=start)

    def list_all(self, spec: ContentSpec, limit: int, start: dict[str, str] | None) -> Page:
        """Every item by `updatedAt`, newest first."""
        partition = keys.content_all_partition(spec.name)
        return self._query_page(partition, index=keys.GSI2, limit=limit, start_key=start)

    def list_filtered(
        self,
        spec: ContentSpec,
        status: str,
        wanted: Mapping[str, str],
        limit: int,
        start: dict[str, str] | None,
    ) -> Page:
        """Items at `status` (`published`, `draft`, `all`) under every facet value in `wanted`.

        One facet: one Query of its value's entries. Several: one Query of the rarest value's
        entries (by the facet counters, read once on the first page; later pages follow the
        partition their cursor names), the others a filter on `facetKeys`, reading on until the
        page is full. Ordered as the unfiltered list at that status.
        """
        index = keys.GSI2 if status == ALL else keys.GSI1
        partitions = {
            param: keys.content_facet_partition(spec.name, param, value, status)
            for param, value in wanted.items()
        }
        driver = self._driving_facet(spec, status, wanted, partitions, start, index)
        others = sorted(f"{param}#{value}" for param, value in wanted.items() if param != driver)
        return self._query_page(
            partitions[driver],
            index=index,
            limit=limit,
            start_key=start,
            contains_all=(FACET_KEYS, others) if others else None,
        )

    def _driving_facet(
        self,
        spec: ContentSpec,
        status: str,
        wanted: Mapping[str, str],
        partitions: Mapping[str, str],
        start: dict[str, str] | None,
        index: keys.Index,
    ) -> str:
        """The facet whose entries a filtered list reads: the only one, or the rarest value."""
        if len(wanted) == 1:
            return next(iter(wanted))
        if start is not None:
            following = [param for param, p in partitions.items() if p == start.get(index.pk)]
            if following:
                return following[0]
        sizes = self.facet_sizes(spec, status, wanted)
        order = [facet.param for facet in spec.facets]
        return min(wanted, key=lambda param: (sizes[param], order.index(param)))

    def facet_sizes(
        self, spec: ContentSpec, status: str, wanted: Mapping[str, str]
    ) -> dict[str, int]:
        """How many items each facet value holds at `status`, in one BatchGetItem."""
        found = self._get_by_name(
            {param: keys.facet_counter(spec.name, param, value) for param, value in wanted.items()}
        )
        fields = {PUBLISHED: ("count",), DRAFT: ("drafts",), ALL: ("count", "drafts")}[status]
        return {
            param: sum(int(found.get(param, {}).get(field, 0)) for field in fields)
            for param in wanted
        }

    def current_views(self, spec: ContentSpec, item_ids: Sequence[str]) -> dict[str, int]:
        """Items' view counts from their small `TOP#all` counters, in one BatchGetItem.

        Facet entries are not moved by counting (a view would have to touch every one of
        them), so a facet list takes its counts from here; a missing counter is 0.
        """
        if not item_ids:
            return {}
        found = self._get_by_name(
            {item_id: keys.content_views(spec.name, item_id, "all") for item_id in item_ids}
        )
        return {item_id: int(found.get(item_id, {}).get(keys.TOP.sk, 0)) for item_id in item_ids}

    def former_slugs(self, spec: ContentSpec, item_id: str) -> list[str]:
        """The slugs that answer 301 to the item, in slug order: its redirect claims as GSI1
        lists them, each confirmed by a consistent read (an index lags a rename or a takeover
        by a moment)."""
        partition = keys.content_redirects_partition(spec.name, item_id)
        listed: list[str] = []
        start: dict[str, str] | None = None
        while True:
            page = self._query_page(
                partition, index=keys.GSI1, limit=1000, start_key=start, newest_first=False
            )
            listed.extend(str(claim["slug"]) for claim in page.items)
            if page.next_key is None:
                break
            start = page.next_key
        confirmed = self.redirects_to(spec, item_id, listed)
        return [slug for slug in listed if slug in confirmed]

    def redirects_to(self, spec: ContentSpec, item_id: str, slugs: Sequence[str]) -> set[str]:
        """Which of `slugs` are redirects to the item now: their claims, read consistently."""
        found: set[str] = set()
        for start in range(0, len(slugs), MAX_BATCH_GET):
            chunk = slugs[start : start + MAX_BATCH_GET]
            claims = self._batch_get(
                [keys.content_slug(spec.name, slug) for slug in chunk], consistent=True
            )
            found |= {
                keys.content_slug_parts(str(claim[keys.PK]))[1]
                for claim in claims
                if claim.get("redirect") is True and claim.get("itemId") == item_id
            }
        return found

    def unlisted_redirects(self) -> Iterator[tuple[str, str, str]]:
        """Redirect claims made before GSI1 listed them under their item: (collection, slug,
        item id). A Scan, for `portfolio-api reindex` only: no request reads this."""
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "#entity = :claim AND #redirect = :true "
            "AND attribute_not_exists(#listed)",
            "ExpressionAttributeNames": {
                "#entity": keys.ENTITY,
                "#redirect": "redirect",
                "#listed": keys.GSI1.pk,
            },
            "ExpressionAttributeValues": serialize({":claim": SLUG_CLAIM.tag, ":true": True}),
        }
        while True:
            try:
                response = self._client.scan(**arguments)
            except (ClientError, BotoCoreError) as exc:
                self._raise_mapped(exc)
            for raw in response.get("Items", []):
                claim = deserialize(raw)
                collection, slug = keys.content_slug_parts(str(claim[keys.PK]))
                yield collection, slug, str(claim["itemId"])
            if "LastEvaluatedKey" not in response:
                return
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def list_redirect(self, collection: str, slug: str, item_id: str) -> bool:
        """List a redirect claim under its item, as a rename now does; False when the claim
        changed meanwhile (taken over, or taken back)."""
        update, names, values = _set_all(_redirect_attributes(collection, item_id, slug))
        try:
            self._update(
                keys.content_slug(collection, slug),
                update=update,
                names={**names, "#redirect": "redirect"},
                values={**values, ":true": True, ":id": item_id},
                # Invariant: only a claim that is still this item's redirect is listed under it.
                condition="#redirect = :true AND itemId = :id",
            )
        except ConditionFailed:
            return False
        return True

    def claim_redirects(self, spec: ContentSpec, item_id: str, slugs: Sequence[str]) -> None:
        """Make each slug a redirect to the item (an import restoring its former slugs): a free
        slug or a redirect (as an explicit slug takes one over); a slug an item holds now
        raises `SlugClaimed`. Each 100 slugs are one transaction; a rerun completes the rest."""
        for start in range(0, len(slugs), MAX_TRANSACTION_ACTIONS):
            chunk = slugs[start : start + MAX_TRANSACTION_ACTIONS]
            self._write_transaction(
                [action({"Put": _redirect_claim(spec, item_id, s)}, _slug_claimed) for s in chunk]
            )

    def facet_counts(self, spec: ContentSpec, facet: str) -> list[Item]:
        """Every counter of a facet: one partition of small items, read in one Query."""
        partition = keys.facet_counters(spec.name, facet)
        return self._query_page(partition, index=None, limit=10_000, start_key=None).items

    def save(
        self, spec: ContentSpec, old: Item | None, new: Item | None, *, take_redirects: bool = True
    ) -> None:
        """Write the change from `old` to `new` in one transaction (see the module docstring).

        `take_redirects` lets the new slug take over another item's former slug (an explicit
        choice); a derived slug passes False, so shared links are never silently re-pointed.
        """
        if new is not None:
            new = {**new, LIST_LAYOUT: CURRENT_LIST_LAYOUT}
        if new is not None and _size(_stored_item(spec, new)) > MAX_ITEM_BYTES:
            raise ValidationFailed(
                "The item is too large to store; shorten its longest text.",
                errors=[{"field": f, "message": "too large to store"} for f in spec.heavy_fields],
            )
        actions = [
            # Its condition failing: the item changed (or went) since the read, or its id is
            # taken on create. The service reads again.
            action(_item_action(spec, old, new), _write_raced),
            *(
                action(claim, _slug_claimed)
                for claim in _slug_actions(spec, old, new, take_redirects=take_redirects)
            ),
            *map(action, _list_entry_actions(spec, old, new)),
            *map(action, _counter_actions(spec, old, new)),
            *map(action, _top_actions(spec, old, new)),
        ]
        self._write_transaction(actions)


def _write_raced(_item: Item | None) -> Exception:
    return WriteRaced()


def _slug_claimed(_item: Item | None) -> Exception:
    return SlugClaimed()


def _item_action(spec: ContentSpec, old: Item | None, new: Item | None) -> dict[str, Any]:
    if old is None:
        assert new is not None
        # Invariant: an id is never reused.
        return {
            "Put": {
                "Item": _stored_item(spec, new),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
    key = keys.content_item(spec.name, str(old["id"]))
    # Invariant: nothing changed since the read the new state was computed from.
    condition = "#version = :read_version"
    guard_names = {"#version": keys.VERSION}
    guard_values = {":read_version": old[keys.VERSION]}
    if new is None:
        return {
            "Delete": {
                "Key": key,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": guard_names,
                "ExpressionAttributeValues": guard_values,
            }
        }
    update, names, values = state_update(
        _stored_item(spec, old), _stored_item(spec, new), skip=CONTENT_ITEM.not_written
    )
    return {
        "Update": {
            "Key": key,
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {**guard_names, **names},
            "ExpressionAttributeValues": {**guard_values, **values},
        }
    }


def _size(item: Mapping[str, Any]) -> int:
    """A close upper bound of the stored size: names plus UTF-8 of every text."""
    return sum(len(name) + len(str(value).encode()) for name, value in item.items())


def _stored_item(spec: ContentSpec, state: Item) -> dict[str, Any]:
    """The item as stored: its attributes, its key, and its slug's GSI3 entry."""
    return {
        **{k: v for k, v in state.items() if v is not None},
        **keys.content_item(spec.name, str(state["id"])),
        **CONTENT_ITEM.stamp,
        **content_item_entries(spec.name, state),
    }


def _list_entries(spec: ContentSpec, state: Item | None) -> dict[str, dict[str, str]]:
    """The lists a state belongs to: list name → its index entry."""
    if state is None:
        return {}
    facet_values = {facet.param: facet.values(state) for facet in spec.facets}
    return content_list_entries(spec.name, state, facet_values)


def _facet_keys(spec: ContentSpec, state: Item) -> list[str]:
    """`<facet>#<value>` of every facet value of a state: what combined filters match."""
    return [f"{f.param}#{value}" for f in spec.facets for value in sorted(f.values(state))]


def _list_entry_actions(
    spec: ContentSpec, old: Item | None, new: Item | None
) -> list[dict[str, Any]]:
    """Delete the entries of lists the item leaves; write those of the lists it is in.

    The status and `all` entries carry `views`, which counting moves by `ADD` at any time: once
    they exist they are updated field by field, never replaced, so an edit neither overwrites
    a view counted since its read nor has to be conditioned on one (edits never lose to views).
    """
    item_id = str((new or old or {})["id"])
    before, after = _list_entries(spec, old), _list_entries(spec, new)
    actions: list[dict[str, Any]] = [
        {"Delete": {"Key": keys.content_list_entry(spec.name, item_id, name)}}
        for name in sorted(set(before) - set(after))
    ]
    if new is None:
        return actions
    facet_summary = {**_summary(spec, new, views=False), FACET_KEYS: _facet_keys(spec, new)}
    for name, index_entry in sorted(after.items()):
        key = keys.content_list_entry(spec.name, item_id, name)
        if name.startswith(FACET_LIST):  # no views here: a whole entry is put
            entry = {**facet_summary, **key, **CONTENT_LIST_ENTRY.stamp, **index_entry}
            actions.append({"Put": {"Item": entry}})
        elif old is None or name not in before:
            entry = {**_summary(spec, new), **key, **CONTENT_LIST_ENTRY.stamp, **index_entry}
            actions.append({"Put": {"Item": entry}})
        else:
            actions.append(_entry_update(spec, key, old, new, before[name], index_entry))
    return actions


def _summary(spec: ContentSpec, state: Item, *, views: bool = True) -> Item:
    """A list entry's fields: the item's, less the long Markdown (and `views` if asked)."""
    return {
        k: v
        for k, v in state.items()
        if v is not None and k not in spec.heavy_fields and (views or k != "views")
    }


def _entry_update(
    spec: ContentSpec,
    key: keys.Key,
    old: Item,
    new: Item,
    old_index: dict[str, str],
    new_index: dict[str, str],
) -> dict[str, Any]:
    """Set an existing entry's fields and index keys from `new`, leaving its `views` alone."""
    update, names, values = state_update(
        {**_summary(spec, old), **old_index},
        {**_summary(spec, new), **new_index},
        skip=CONTENT_LIST_ENTRY.not_written,
    )
    return {
        "Update": {
            "Key": key,
            "UpdateExpression": update,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def _slug_actions(
    spec: ContentSpec, old: Item | None, new: Item | None, *, take_redirects: bool
) -> list[dict[str, Any]]:
    old_slug = str(old["slug"]) if old else None
    new_slug = str(new["slug"]) if new else None
    if old_slug == new_slug:
        return []
    actions: list[dict[str, Any]] = []
    if new is not None and new_slug is not None:
        # Invariant: a slug belongs to one item; an explicit choice may take over a redirect.
        condition = "attribute_not_exists(PK) OR itemId = :id"
        values: dict[str, Any] = {":id": new["id"]}
        names: dict[str, str] = {}
        if take_redirects:
            condition += " OR #redirect = :true"
            values[":true"] = True
            names["#redirect"] = "redirect"
        claim = {
            "Item": {
                **keys.content_slug(spec.name, new_slug),
                **SLUG_CLAIM.stamp,
                "itemId": new["id"],
                "redirect": False,
            },
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if names:
            claim["ExpressionAttributeNames"] = names
        actions.append({"Put": claim})
    if old is not None and old_slug is not None:
        old_key = keys.content_slug(spec.name, old_slug)
        if new is None:
            actions.append({"Delete": {"Key": old_key}})
        else:
            update, names, values = _set_all(
                _redirect_attributes(spec.name, str(old["id"]), old_slug)
            )
            actions.append(
                {
                    "Update": {
                        "Key": old_key,
                        "UpdateExpression": update,
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                    }
                }
            )
    return actions


def _redirect_attributes(collection: str, item_id: str, slug: str) -> dict[str, Any]:
    """What makes a slug claim a redirect: found by the slug (GSI3), listed under the item it
    points to (GSI1). A rename sets these on the old claim; an import puts them whole."""
    return {
        "itemId": item_id,
        "slug": slug,
        "redirect": True,
        **keys.content_slug_entry(collection, slug),
        **keys.content_redirect_entry(collection, item_id, slug),
    }


def _set_all(attributes: Mapping[str, Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
    """An UpdateExpression setting each attribute, with its names and values."""
    names = {f"#s{i}": name for i, name in enumerate(attributes)}
    values = {f":s{i}": value for i, value in enumerate(attributes.values())}
    return "SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(names))), names, values


def _redirect_claim(spec: ContentSpec, item_id: str, slug: str) -> dict[str, Any]:
    # Invariant: a slug belongs to one item; a restored redirect takes over only a redirect.
    return {
        "Item": {
            **keys.content_slug(spec.name, slug),
            **SLUG_CLAIM.stamp,
            **_redirect_attributes(spec.name, item_id, slug),
        },
        "ConditionExpression": "attribute_not_exists(PK) OR #redirect = :true",
        "ExpressionAttributeNames": {"#redirect": "redirect"},
        "ExpressionAttributeValues": {":true": True},
    }


def _top_actions(spec: ContentSpec, old: Item | None, new: Item | None) -> list[dict[str, Any]]:
    """The item's top-list counters: title kept, listed while published, gone with the item."""
    state = new or old
    assert state is not None
    title_field = to_camel(spec.slug_source)
    if (
        new is not None
        and old is not None
        and all(old.get(f) == new.get(f) for f in (title_field, "status"))
    ):
        return []
    title = None if new is None else str(new[title_field])
    listed = new is not None and new["status"] == PUBLISHED
    return top_counter_actions(spec.name, str(state["id"]), title, listed)


class Contribution(NamedTuple):
    """What one item adds to one facet value's counter."""

    published: int
    drafts: int
    name: str


type FacetTally = dict[tuple[str, str], Contribution]  # (facet, value) → contribution

# What layout 1 (items without `listLayout`) counted: published posts by category, only.
# Frozen here, so a facet that starts publishing counts later cannot change how old items
# were counted.
_LAYOUT_1_COUNTED = frozenset({("blog", "category")})


def _facet_tally(spec: ContentSpec, state: Item | None, *, as_stored: bool) -> FacetTally:
    """What a state adds to the facet counters.

    `as_stored` reads a state as its stored layout counted it: an item from before
    `listLayout` 2 was counted only while published, and only under the blog's category.
    """
    if state is None:
        return {}
    published = state["status"] == PUBLISHED
    layout_1 = as_stored and state.get(LIST_LAYOUT) != CURRENT_LIST_LAYOUT
    tally: FacetTally = {}
    for facet in spec.facets:
        if layout_1 and not (published and (spec.name, facet.param) in _LAYOUT_1_COUNTED):
            continue
        for value, name in facet.values(state).items():
            tally[facet.param, value] = Contribution(int(published), int(not published), name)
    return tally


def _counter_actions(spec: ContentSpec, old: Item | None, new: Item | None) -> list[dict[str, Any]]:
    """`ADD` the change of every facet value's counts; counts move by nothing else."""
    before = _facet_tally(spec, old, as_stored=True)
    after = _facet_tally(spec, new, as_stored=False)
    actions: list[dict[str, Any]] = []
    nothing = Contribution(0, 0, "")
    for param, value in sorted(set(before) | set(after)):
        was, now = before.get((param, value), nothing), after.get((param, value), nothing)
        published, drafts = now.published - was.published, now.drafts - was.drafts
        if published == 0 and drafts == 0:
            continue
        # Counts change only by atomic ADD, so concurrent writers never lose one.
        names = {"#count": "count", "#drafts": "drafts", "#entity": keys.ENTITY}
        values: dict[str, Any] = {
            ":published": published,
            ":drafts": drafts,
            ":entity": FACET_COUNTER.tag,
        }
        update = "ADD #count :published, #drafts :drafts SET #entity = :entity"
        if now.published:  # the name shown with published counts: a published spelling
            update += ", #name = if_not_exists(#name, :name)"
            names["#name"] = "name"
            values[":name"] = now.name
        actions.append(
            {
                "Update": {
                    "Key": keys.facet_counter(spec.name, param, value),
                    "UpdateExpression": update,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            }
        )
    return actions
