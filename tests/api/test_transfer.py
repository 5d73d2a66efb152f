"""`portfolio-api export` / `import` and `dev --seed`: a folder of Markdown, YAML and CSV that
restores a stack exactly, validated whole before anything is written, and idempotent.

The "empty stack" is a second table in the same stand-in, under the same user pool, so the
owner's token reads both through the API.
"""

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from portfolio_api.cli import DevRefused, _banner, _seed_plan, main, seed_dev_stack
from portfolio_api.container import Container
from portfolio_api.content.collections import ALL_COLLECTIONS, BLOG_POSTS, CERTIFICATIONS, PROJECTS
from portfolio_api.content.spec import ContentSpec
from portfolio_api.db.table import create_table_arguments, time_to_live_arguments
from portfolio_api.local.stack import LocalStack
from portfolio_api.main import create_app
from portfolio_api.transfer.format import MANIFEST, read_document, write_document
from tests.conftest import BROWSER, SignedInUser, make_settings
from tests.factories import content_payload

SECOND_TABLE = "portfolio-second"
CHECK_ARTIFACT = Path(__file__).resolve().parents[2] / "scripts" / "check_artifact.py"


@pytest.fixture
def operator_env(monkeypatch: pytest.MonkeyPatch, stack: LocalStack) -> None:
    """What README's operator commands export (as in test_operator_commands.py)."""
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", stack.table_name)
    monkeypatch.setenv("COGNITO_USER_POOL_ID", stack.user_pool_id)
    monkeypatch.delenv("COGNITO_CLIENT_ID", raising=False)
    monkeypatch.setenv("ENVIRONMENT", "dev")
    monkeypatch.delenv("CURSOR_SECRET", raising=False)
    monkeypatch.delenv("COGNITO_REGION", raising=False)


@pytest.fixture
def second(dynamodb: Any, stack: LocalStack) -> Iterator[TestClient]:
    """An empty table beside the first, served by its own app (same pool: same owner)."""
    dynamodb.create_table(**create_table_arguments(SECOND_TABLE))
    dynamodb.update_time_to_live(**time_to_live_arguments(SECOND_TABLE))
    app = create_app(make_settings(stack, dynamodb_table_name=SECOND_TABLE))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def into_second(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", SECOND_TABLE)


# The edge cases: long Markdown with fences, 4-byte characters, `---` lines and CRLF inside (never
# leading or trailing whitespace: request text is trimmed today, see issue 16 item 5).
FENCED = (
    "# Crabs 🦀 and clefs 𝄞\n\n```python\ndef f():\n    return '𝄞'  # ---\n```\n\n---\n\n"
    "> quoted: yes, no, 2025-03-01, key: value # not a comment\r\n\n"
)


def markdown(length: int) -> str:
    text = (FENCED * (length // len(FENCED) + 1))[:length]
    return text.strip() + " end."


MAX_TAGS = [f"{n}" + "t" * 29 for n in range(10)]  # 10 tags of 30 characters: both limits


def create(client: TestClient, owner: SignedInUser, spec: ContentSpec, **fields: Any) -> Any:
    response = client.post(spec.path, json=content_payload(spec, **fields), headers=owner.headers)
    assert response.status_code == 201, response.text
    return response.json()


def owner_call(client: TestClient, owner: SignedInUser, method: str, path: str, **kw: Any) -> Any:
    response = client.request(method, path, headers=owner.headers, **kw)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def rename(
    client: TestClient, owner: SignedInUser, spec: ContentSpec, item_id: str, slug: str
) -> None:
    owner_call(client, owner, "PATCH", f"{spec.path}/{item_id}", json={"slug": slug})


FORMER_SLUGS = (  # what `fill` leaves answering 301 (or not: `taken-over` is Taker's now)
    (BLOG_POSTS, "old-name"),
    (BLOG_POSTS, "middle"),
    (BLOG_POSTS, "taken-over"),
    (PROJECTS, "p-two"),
)


def fill(client: TestClient, owner: SignedInUser, body_length: int = 20_000) -> None:
    """Every collection and products, with the edge cases the format must carry."""
    long_post = create(
        client,
        owner,
        BLOG_POSTS,
        title="T" * 199 + "🦀",
        summary="yes",
        content=markdown(body_length),
        category="C" * 50,
        tags=MAX_TAGS,
        status="published",
    )
    create(client, owner, BLOG_POSTS, title="2025-03-01", slug="a-draft", summary='"quoted" #')
    renamed = create(client, owner, BLOG_POSTS, title="Old name", status="published")
    for slug in ("middle", "taken-over", "new"):  # three former slugs, one then taken over
        rename(client, owner, BLOG_POSTS, renamed["id"], slug)
    create(client, owner, BLOG_POSTS, title="Taker", slug="taken-over", status="published")
    back = create(client, owner, PROJECTS, title="P", slug="p-one", status="published")
    for slug in ("p-two", "p-one"):  # renamed, then back: `p-two` is its one former slug
        rename(client, owner, PROJECTS, back["id"], slug)
    was_published = create(client, owner, BLOG_POSTS, title="Pulled", status="published")
    owner_call(client, owner, "POST", f"{BLOG_POSTS.path}/{was_published['id']}/unpublish")
    create(
        client,
        owner,
        PROJECTS,
        title="With body",
        description=markdown(3000),
        techStack=["x" * 50] * 20,
        status="published",
    )
    create(client, owner, PROJECTS, title="No body", description=None, featured=False)
    create(client, owner, CERTIFICATIONS, status="published")
    create(client, owner, CERTIFICATIONS, name="Never expires", expiryDate=None, slug="forever")
    for n, (price, active) in enumerate([(19.90, True), (0.10, True), (5, False), (0, True)]):
        owner_call(
            client,
            owner,
            "POST",
            "/v1/products",
            json={
                "id": f"P{n}",
                "name": f"Product {n}",
                "category": "Merch",
                "price": price,
                "stock": n,
                "active": active,
            },
        )
    # Analytics: a visit and a view, for the CSV report.
    visitor = {"User-Agent": f"{BROWSER} transfer"}
    assert client.post("/v1/visitors/track", json={"path": "/"}, headers=visitor).status_code == 200
    viewed = client.post(
        "/v1/analytics/views",
        json={"contentType": "blog", "contentId": long_post["id"]},
        headers=visitor,
    )
    assert viewed.status_code == 200, viewed.text


def files(root: Path) -> dict[str, bytes]:
    """Every file of an export that a restore reproduces: all but the manifest (its instant)
    and the analytics report (counters are not imported)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST and p.parent.name != "analytics"
    }


def reads(client: TestClient, owner: SignedInUser) -> dict[str, Any]:
    """What the API answers about all content and products, `ETag`s included; but `views`,
    which are counters (a restore starts with none)."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k != "views"}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    answers: dict[str, Any] = {}
    for spec in ALL_COLLECTIONS:
        for status in ("all", "published", "draft"):
            listed = client.get(
                spec.path, params={"status": status, "limit": 100}, headers=owner.headers
            )
            assert listed.status_code == 200, listed.text
            answers[f"{spec.path}?{status}"] = clean(listed.json()["items"])
        for item in answers[f"{spec.path}?all"]:
            one = client.get(f"{spec.path}/{item['slug']}", headers=owner.headers)
            answers[f"{spec.path}/{item['slug']}"] = (clean(one.json()), one.headers["etag"])
        answers[f"{spec.path}?public"] = clean(client.get(spec.path).json())
        if spec.counts_path:
            answers[spec.counts_path] = client.get(spec.counts_path).json()
    for spec, slug in FORMER_SLUGS:
        found = client.get(f"{spec.path}/{slug}", follow_redirects=False)
        answers[f"{spec.path}/{slug} (former)"] = (found.status_code, found.headers.get("location"))
    answers["/v1/blog/posts?tag"] = clean(
        client.get(BLOG_POSTS.path, params={"tag": MAX_TAGS[3]}).json()
    )
    products = client.get("/v1/products", params={"includeInactive": "true"}, headers=owner.headers)
    answers["/v1/products"] = clean(products.json())
    for product in products.json()["items"]:
        one = client.get(f"/v1/products/{product['id']}", headers=owner.headers)
        answers[f"/v1/products/{product['id']}"] = (clean(one.json()), one.headers["etag"])
    return answers


@pytest.mark.usefixtures("operator_env")
def test_export_import_export_restores_every_file_and_every_read(
    client: TestClient,
    second: TestClient,
    owner: SignedInUser,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a stack with every collection, products and their edge cases
    fill(client, owner)
    before = reads(client, owner)
    assert before["/v1/blog/posts/middle (former)"] == (301, "/v1/blog/posts/new")
    assert before["/v1/blog/posts/taken-over (former)"] == (200, None)
    assert before["/v1/blog/posts/new"][1] == '"4"'  # created, then renamed three times

    # When it is exported, imported into an empty stack, and that is exported again
    assert main(["export", str(tmp_path / "first")]) == 0
    into_second(monkeypatch)
    assert main(["import", str(tmp_path / "first")]) == 0
    assert "imported" in (out := capsys.readouterr().out) and "14 created, 0 updated" in out
    assert main(["export", str(tmp_path / "again")]) == 0

    # Then the files are the same, byte for byte, and so is every read
    first, again = files(tmp_path / "first"), files(tmp_path / "again")
    assert sorted(first) == sorted(again)
    for name in first:
        assert first[name] == again[name], name
    assert reads(second, owner) == before

    # (an export carries content, not counters: views start again from none)
    viewed = next(i for i in before["/v1/blog/posts?all"] if i["title"].startswith("TTT"))
    assert client.get(f"{BLOG_POSTS.path}/{viewed['slug']}").json()["views"] == 1
    assert second.get(f"{BLOG_POSTS.path}/{viewed['slug']}").json()["views"] == 0

    # and the folder is what the format promises
    root = tmp_path / "first"
    assert len(list((root / "blog").glob("*.md"))) == 5
    assert (root / "blog" / "new.md").is_file() and (root / "projects").is_dir()
    assert len(list((root / "certifications").glob("*.yaml"))) == 2
    prices = {p.stem: p.read_text() for p in (root / "products").glob("*.yaml")}
    assert "price: 19.90\n" in prices["P0"] and "price: 0.10\n" in prices["P1"]
    assert "price: 5.00\n" in prices["P2"] and "active: false\n" in prices["P2"]
    moved = (root / "blog" / "new.md").read_text(encoding="utf-8")
    assert "\nslug: new\nformerSlugs:\n- middle\n- old-name\nstatus: published\n" in moved
    assert "formerSlugs:\n- p-two\nstatus" in (root / "projects" / "p-one.md").read_text()
    assert "formerSlugs" not in (root / "blog" / "taken-over.md").read_text()
    draft = (root / "blog" / "a-draft.md").read_text(encoding="utf-8")
    assert draft.startswith("---\nid: ") and "title: '2025-03-01'\n" in draft
    pulled = (root / "blog" / "pulled.md").read_text(encoding="utf-8")
    assert "status: draft\n" in pulled and "publishedAt: '" in pulled
    long_post = next(p for p in (root / "blog").glob("tttt*.md")).read_bytes().decode()
    assert long_post.endswith(markdown(20_000)) and "🦀" in long_post
    visitors = (root / "analytics" / "visitors-daily.csv").read_text().splitlines()
    assert visitors[0] == "date,visitors" and visitors[1].endswith(",1")
    views = (root / "analytics" / "views-daily.csv").read_text().splitlines()
    assert views[0] == "date,contentType,contentId,slug,views" and views[1].endswith(",1")

    # And importing the same folder again changes nothing
    capsys.readouterr()
    assert main(["import", str(tmp_path / "first")]) == 0
    assert "0 created, 0 updated, 14 unchanged" in capsys.readouterr().out
    assert main(["export", str(tmp_path / "third")]) == 0
    assert files(tmp_path / "third") == first


@pytest.mark.usefixtures("operator_env")
def test_a_changed_and_a_renamed_file_update_their_items_in_place(
    client: TestClient,
    owner: SignedInUser,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    post = create(client, owner, BLOG_POSTS, title="Hello", slug="hello", status="published")
    assert main(["export", str(tmp_path / "out")]) == 0
    path = tmp_path / "out" / "blog" / "hello.md"
    edit(path, "slug: hello\n", "slug: hello-again\n")
    edit(path, "category: Engineering", "category: Notes")
    capsys.readouterr()
    assert main(["import", str(tmp_path / "out")]) == 0
    assert "0 created, 1 updated, 0 unchanged" in capsys.readouterr().out
    moved = client.get(f"{BLOG_POSTS.path}/hello-again").json()
    assert (moved["id"], moved["category"], moved["publishedAt"]) == (
        post["id"],
        "Notes",
        post["publishedAt"],
    )
    assert client.get(f"{BLOG_POSTS.path}/hello", follow_redirects=False).status_code == 301
    assert client.get("/v1/blog/categories").json()["items"] == [{"name": "Notes", "count": 1}]

    # A change is a new version, never a lower one: the file's (an ETag of another stack's),
    # or else the next; a version that is no whole number from 1 is a problem at its line
    assert moved["version"] == 2 and "\nversion: 1\n" in path.read_text()
    edit(path, "category: Notes", "category: Later")
    edit(path, "version: 1\n", "version: 9\n")
    assert main(["import", str(tmp_path / "out")]) == 0
    assert client.get(f"{BLOG_POSTS.path}/hello-again").json()["version"] == 9
    edit(path, "version: 9\n", "version: 0\n")
    capsys.readouterr()
    assert main(["import", "--check", str(tmp_path / "out")]) == 1
    assert f"blog/hello.md:{line_of(path, 'version')}: version: must be a whole number from 1" in (
        capsys.readouterr().err
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, start: str) -> int:
    return next(
        n for n, line in enumerate(path.read_text().splitlines(), 1) if line.startswith(start)
    )


def import_refused(capsys: pytest.CaptureFixture[str], root: Path) -> str:
    """Import `root`, which the stack must refuse whole; what it said."""
    capsys.readouterr()
    assert main(["import", str(root)]) == 1
    said = capsys.readouterr()
    assert " with the stack: nothing imported" in said.err and "imported " not in said.out
    return said.err


@pytest.mark.usefixtures("operator_env")
def test_a_slug_another_stored_item_holds_is_found_before_anything_is_written(
    client: TestClient,
    owner: SignedInUser,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given posts `one` and `two`, exported, and then a third made in the stack
    one = create(client, owner, BLOG_POSTS, title="One", slug="one", status="published")
    two = create(client, owner, BLOG_POSTS, title="Two", slug="two", status="published")
    root = tmp_path / "out"
    assert main(["export", str(root)]) == 0
    three = create(client, owner, BLOG_POSTS, title="Three", slug="three", status="published")
    blog = root / "blog"

    def unchanged() -> None:
        listed = client.get(BLOG_POSTS.path, params={"status": "all"}, headers=owner.headers)
        assert {(i["slug"], i["title"]) for i in listed.json()["items"]} == {
            ("one", "One"),
            ("two", "Two"),
            ("three", "Three"),
        }

    # When one file changes harmlessly and another takes the third post's slug
    edit(blog / "one.md", "title: One\n", "title: Uno\n")
    edit(blog / "two.md", "slug: two\n", "slug: three\n")
    said = import_refused(capsys, root)
    # Then the clash names file, line and field, and the harmless change is not written either
    assert f"blog/two.md:3: slug: 'three' is the slug of stored item {three['id']}\n" in said
    unchanged()

    # When two files swap their items' slugs (no order frees one before the other takes it)
    edit(blog / "two.md", "slug: three\n", "slug: one\n")
    edit(blog / "one.md", "slug: one\n", "slug: two\n")
    said = import_refused(capsys, root)
    assert "blog/two.md:3: slug: 'one' is freed by blog/one.md, which needs a slug" in said
    assert "blog/one.md:3: slug: 'two' is freed by blog/two.md" in said
    unchanged()

    # When a file claims another stored item's slug as one of its former slugs
    (blog / "two.md").rename(tmp_path / "two.md")
    edit(blog / "one.md", "slug: two\n", "slug: one\nformerSlugs:\n- two\n")
    said = import_refused(capsys, root)
    assert f"blog/one.md:4: formerSlugs: 'two' is the slug of stored item {two['id']}" in said
    unchanged()

    # When the folder moves slugs along a chain: `one` → `uno`, `two` → `one`, a new post `two`
    edit(blog / "one.md", "slug: one\nformerSlugs:\n- two\n", "slug: uno\n")
    (tmp_path / "two.md").rename(blog / "two.md")
    (blog / "new.md").write_text("---\nslug: two\ntitle: New\ncategory: X\n---\nB.", "utf-8")
    capsys.readouterr()
    assert main(["import", str(root)]) == 0
    # Then each file is written after the one that frees its slug
    assert "1 created, 2 updated, 0 unchanged" in capsys.readouterr().out
    for slug, title, item_id in (("uno", "Uno", one["id"]), ("one", "Two", two["id"])):
        found = client.get(f"{BLOG_POSTS.path}/{slug}").json()
        assert (found["title"], found["id"]) == (title, item_id)
    assert client.get(f"{BLOG_POSTS.path}/two", headers=owner.headers).json()["title"] == "New"
    assert main(["import", str(root)]) == 0
    assert "0 created, 0 updated, 3 unchanged" in capsys.readouterr().out


@pytest.mark.usefixtures("operator_env")
def test_former_slugs_are_checked_restored_and_take_over_only_redirects(
    client: TestClient,
    owner: SignedInUser,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given an item that left the slug `gone` behind (a redirect), and a hand-written folder
    held = create(client, owner, PROJECTS, title="Held", slug="gone", status="published")
    rename(client, owner, PROJECTS, held["id"], "held")
    (tmp_path / "projects").mkdir()
    page = tmp_path / "projects" / "page.md"
    page.write_text(
        "---\ntitle: Page\nsummary: S\nstatus: published\n"
        "formerSlugs:\n- Not A Slug\n- page\n---\nB.",
        encoding="utf-8",
    )
    other = tmp_path / "projects" / "other.md"
    other.write_text("---\ntitle: O\nsummary: S\nformerSlugs: [ex, ex]\n---\nB.", encoding="utf-8")

    # When checked: a slug the API refuses, the item's own slug, one slug twice
    capsys.readouterr()
    assert main(["import", "--check", str(tmp_path)]) == 1
    said = capsys.readouterr().err
    assert "projects/page.md:5: formerSlugs.0: String should match pattern" in said
    assert "projects/other.md:4: formerSlugs: names a slug more than once" in said
    page.write_text(page.read_text().replace("- Not A Slug\n", ""), encoding="utf-8")
    assert main(["import", "--check", str(tmp_path)]) == 1
    assert "projects/page.md:5: formerSlugs: must not hold the item's own slug" in (
        capsys.readouterr().err
    )

    # When the folder is right, a former slug that is another item's redirect is taken over
    page.write_text(page.read_text().replace("- page\n", "- gone\n- earlier\n"), "utf-8")
    other.write_text(other.read_text().replace("[ex, ex]", "[ex]"), encoding="utf-8")
    assert main(["import", str(tmp_path)]) == 0
    assert "2 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    for slug, current in (("gone", "page"), ("earlier", "page"), ("ex", "other")):
        found = client.get(
            f"{PROJECTS.path}/{slug}", headers=owner.headers, follow_redirects=False
        )  # `other` is a draft
        assert (found.status_code, found.headers["location"]) == (301, f"{PROJECTS.path}/{current}")

    # Then the export lists each former slug under the item that holds it now, and again
    # importing changes nothing
    assert main(["export", str(tmp_path / "out")]) == 0
    exported = tmp_path / "out" / "projects"
    assert "formerSlugs:\n- earlier\n- gone\n" in (exported / "page.md").read_text()
    assert "formerSlugs" not in (exported / "held.md").read_text()
    capsys.readouterr()
    assert main(["import", str(tmp_path)]) == 0
    assert "0 created, 0 updated, 2 unchanged" in capsys.readouterr().out


@pytest.mark.usefixtures("operator_env")
def test_reindex_lists_redirects_made_before_so_an_export_carries_them(
    client: TestClient,
    owner: SignedInUser,
    dynamodb: Any,
    stack: LocalStack,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a post renamed twice, whose redirects were made as the last release made them
    post = create(client, owner, BLOG_POSTS, title="A", slug="a", status="published")
    for slug in ("b", "c"):
        rename(client, owner, BLOG_POSTS, post["id"], slug)
    for slug in ("a", "b"):
        dynamodb.update_item(
            TableName=stack.table_name,
            Key={"PK": {"S": f"SLUG#blog#{slug}"}, "SK": {"S": "SLUG"}},
            UpdateExpression="REMOVE GSI1PK, GSI1SK, slug",
        )
    assert client.get(f"{BLOG_POSTS.path}/a", follow_redirects=False).status_code == 301
    assert main(["export", str(tmp_path / "before")]) == 0
    assert "formerSlugs" not in (tmp_path / "before" / "blog" / "c.md").read_text()

    # When the operator reindexes (twice: the second finds nothing left)
    capsys.readouterr()
    assert main(["reindex"]) == 0
    assert "former slugs: 2 redirects listed under their items" in capsys.readouterr().out
    assert main(["reindex"]) == 0
    assert "former slugs: 0 redirects" in capsys.readouterr().out

    # Then the export carries both, and the redirects still answer
    assert main(["export", str(tmp_path / "after")]) == 0
    assert "formerSlugs:\n- a\n- b\n" in (tmp_path / "after" / "blog" / "c.md").read_text()
    assert client.get(f"{BLOG_POSTS.path}/b", follow_redirects=False).status_code == 301


@pytest.mark.usefixtures("operator_env")
def test_one_invalid_file_writes_nothing_and_names_file_line_and_field(
    client: TestClient,
    second: TestClient,
    owner: SignedInUser,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    create(client, owner, BLOG_POSTS, title="Fine", slug="fine", status="published")
    create(client, owner, CERTIFICATIONS, slug="cert")
    owner_call(
        client,
        owner,
        "POST",
        "/v1/products",
        json={"id": "P1", "name": "Mug", "category": "Merch", "price": 3, "stock": 1},
    )
    root = tmp_path / "out"
    assert main(["export", str(root)]) == 0
    # Broken: eleven tags (line of `tags:`), a price with three decimals, YAML that is not YAML.
    post = root / "blog" / "fine.md"
    lines = post.read_text(encoding="utf-8").splitlines(keepends=True)
    tags_line = next(n for n, line in enumerate(lines, 1) if line.startswith("tags:"))
    lines.insert(tags_line, "".join(f"- extra{n}\n" for n in range(11)))
    post.write_text("".join(lines), encoding="utf-8")
    product = root / "products" / "P1.yaml"
    product.write_text(product.read_text().replace("price: 3.00", "price: 1.234"))
    price_line = product.read_text().splitlines().index("price: 1.234") + 1
    (root / "certifications" / "cert.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    (root / "blog" / "untitled.md").write_text("---\ncategory: x\n---\nBody.", encoding="utf-8")

    into_second(monkeypatch)
    capsys.readouterr()
    assert main(["import", "--check", str(root)]) == 1
    assert main(["import", str(root)]) == 1
    problems = capsys.readouterr().err
    assert f"blog/fine.md:{tags_line}: tags: " in problems
    assert (
        f"products/P1.yaml:{price_line}: price: Value error, must have at most 2 decimals"
        in problems
    )
    assert "certifications/cert.yaml:2: not valid YAML" in problems
    assert "blog/untitled.md:1: title: Field required" in problems
    assert "nothing imported" in problems
    for spec in ALL_COLLECTIONS:
        assert (
            second.get(spec.path, params={"status": "all"}, headers=owner.headers).json()["items"]
            == []
        )
    assert (
        second.get(
            "/v1/products", params={"includeInactive": "true"}, headers=owner.headers
        ).json()["items"]
        == []
    )


@pytest.mark.usefixtures("operator_env")
def test_check_only_validates_and_a_hand_written_folder_imports(
    second: TestClient, owner: SignedInUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A folder as another tool writes it: no manifest, no ids, slugs from file names.
    (tmp_path / "blog").mkdir()
    (tmp_path / "blog" / "from-hugo.md").write_text(
        "---\ntitle: From Hugo\ncategory: Notes\ntags: [Go, go, Hugo]\nstatus: published\n---\n"
        "Hello **world**.",
        encoding="utf-8",
    )
    (tmp_path / "products").mkdir()
    (tmp_path / "products" / "MUG.yaml").write_text(
        "name: Mug\ncategory: Merch\nprice: 12.50\nstock: 3\n", encoding="utf-8"
    )
    into_second(monkeypatch)
    assert main(["import", "--check", str(tmp_path)]) == 0
    assert second.get(BLOG_POSTS.path).json()["items"] == []
    assert main(["import", str(tmp_path)]) == 0
    post = second.get(f"{BLOG_POSTS.path}/from-hugo").json()
    assert (post["tags"], post["content"], post["status"]) == (
        ["go", "hugo"],
        "Hello **world**.",
        "published",
    )
    assert second.get("/v1/products/MUG").json()["price"] == 12.50


@pytest.mark.usefixtures("operator_env")
def test_export_replaces_a_former_export_and_refuses_any_other_folder(
    client: TestClient, owner: SignedInUser, tmp_path: Path
) -> None:
    create(client, owner, CERTIFICATIONS, slug="one")
    target = tmp_path / "content"
    assert main(["export", str(target)]) == 0
    (target / "certifications" / "stale.yaml").write_text("name: gone\n")
    (target / ".git").mkdir()  # an export kept under version control
    (target / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    assert main(["export", str(target)]) == 0
    assert sorted(p.name for p in (target / "certifications").iterdir()) == ["one.yaml"]
    assert (target / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert [p.name for p in tmp_path.iterdir()] == ["content"]  # no staging folder left behind
    (target / "notes.txt").write_text("mine")  # anything else: refused, nothing touched
    assert main(["export", str(target)]) == 1
    assert (target / "notes.txt").read_text() == "mine"
    (target / "notes.txt").unlink()
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    assert main(["export", str(other)]) == 1
    assert [p.name for p in other.iterdir()] == ["keep.txt"]


def test_dev_seed_imports_the_folder_into_the_stack_it_serves(
    client: TestClient,
    owner: SignedInUser,
    stack: LocalStack,
    settings: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "projects").mkdir()
    (tmp_path / "projects" / "seeded.md").write_text(
        "---\ntitle: Seeded\nsummary: From a folder.\nstatus: published\n---\nThe body.",
        encoding="utf-8",
    )
    plan = _seed_plan(tmp_path)
    tally = seed_dev_stack(Container(settings), tmp_path, plan)
    assert (tally.created, tally.failed) == (1, [])
    assert f"seeding from {tmp_path}" in capsys.readouterr().out
    assert client.get(f"{PROJECTS.path}/seeded").json()["description"] == "The body."
    # An unimportable folder is refused before anything starts
    (tmp_path / "projects" / "bad.md").write_text("no front matter", encoding="utf-8")
    with pytest.raises(
        DevRefused, match=re.escape("projects/bad.md:1: must start with a '---' line")
    ):
        _seed_plan(tmp_path)
    # and the banner says how the operator commands reach the dev stack
    banner = _banner(
        "http://127.0.0.1:8000", "o@example.com", "pw", stack, 2, "http://127.0.0.1:5555"
    )
    assert (
        "export AWS_ENDPOINT_URL=http://127.0.0.1:5555 AWS_ACCESS_KEY_ID=local "
        "AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 "
        f"DYNAMODB_TABLE_NAME={stack.table_name} COGNITO_USER_POOL_ID={stack.user_pool_id}"
    ) in banner


def test_the_artifact_check_refuses_the_yaml_and_front_matter_libraries(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    for entry in ("yaml", "PyYAML-6.0.3.dist-info", "frontmatter"):
        (bad / entry).mkdir(parents=True)
    (bad / "_yaml.py").write_text("")
    result = subprocess.run(
        [sys.executable, str(CHECK_ARTIFACT), str(bad)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result.stdout + result.stderr
    failure = result.stderr.split("- the operator's YAML", 1)[1].split("\n- ", 1)[0]
    listed = {line.strip() for line in failure.splitlines()[1:]}
    assert listed == {"yaml", "_yaml.py", "PyYAML-6.0.3.dist-info", "frontmatter"}


@pytest.mark.slow  # 200,000 characters through the API, an export and an import
@pytest.mark.usefixtures("operator_env")
def test_a_200000_character_post_round_trips_byte_for_byte(
    client: TestClient,
    second: TestClient,
    owner: SignedInUser,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = markdown(200_000)[: 200_000 - 5] + " end."
    assert len(body) <= 200_000
    post = create(client, owner, BLOG_POSTS, title="Long", content=body, status="published")
    assert main(["export", str(tmp_path / "out")]) == 0
    into_second(monkeypatch)
    assert main(["import", str(tmp_path / "out")]) == 0
    restored = second.get(f"{BLOG_POSTS.path}/{post['slug']}").json()
    assert restored["content"] == body and restored["id"] == post["id"]
    assert main(["export", str(tmp_path / "again")]) == 0
    assert files(tmp_path / "again") == files(tmp_path / "out")


@pytest.mark.usefixtures("operator_env")
def test_a_failed_rename_puts_the_former_export_back(
    client: TestClient, owner: SignedInUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    create(client, owner, CERTIFICATIONS, slug="one")
    target = tmp_path / "content"
    assert main(["export", str(target)]) == 0
    (target / "certifications" / "stale.yaml").write_text("name: former\n")
    (target / ".git").mkdir()
    before = files(target)
    rename = Path.rename
    staged = tmp_path / "staged-products"

    def failing(self: Path, to: Any) -> Any:
        # The new products folder, moved into place: fails (the former one, moved back, not).
        if (
            Path(to) == target / "products"
            and self.parent.name.startswith(".content.")
            and (".former." not in self.parent.name)
        ):
            staged.mkdir()
            raise OSError("disk gone")
        return rename(self, to)

    monkeypatch.setattr(Path, "rename", failing)
    with pytest.raises(OSError, match="disk gone"):
        main(["export", str(target)])
    monkeypatch.undo()
    assert files(target) == before
    assert (target / ".git").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "staged-products"]


@pytest.mark.usefixtures("operator_env")
def test_empty_slugs_and_ids_take_the_file_name_and_one_id_in_two_files_is_refused(
    second: TestClient,
    owner: SignedInUser,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "blog").mkdir()
    (tmp_path / "blog" / "no-slug.md").write_text(
        "---\nid:\nslug:\ntitle: Empty\ncategory: Notes\nstatus: published\n---\nBody.",
        encoding="utf-8",
    )
    (tmp_path / "products").mkdir()
    (tmp_path / "products" / "CUP.yaml").write_text(
        "id:\nname: Cup\ncategory: Merch\nprice: 2.50\nstock: 1\n", encoding="utf-8"
    )
    into_second(monkeypatch)
    assert main(["import", str(tmp_path)]) == 0
    assert second.get(f"{BLOG_POSTS.path}/no-slug").json()["title"] == "Empty"
    assert second.get("/v1/products/CUP").json()["name"] == "Cup"
    assert second.get(f"{BLOG_POSTS.path}/None").status_code == 404

    same = "01JAAAAAAAAAAAAAAAAAAAAAAA"
    for name in ("first", "second"):
        (tmp_path / "blog" / f"{name}.md").write_text(
            f"---\nid: {same}\ntitle: T\ncategory: Notes\n---\nBody.", encoding="utf-8"
        )
    capsys.readouterr()
    assert main(["import", "--check", str(tmp_path)]) == 1
    problems = capsys.readouterr().err
    assert f"blog/second.md:2: id: '{same}' is also blog/first.md's" in problems


def test_yaml_numbers_that_are_no_decimal_are_a_problem_at_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "products").mkdir()
    for name, value in (("INF", ".inf"), ("NAN", ".nan"), ("SEX", "1:30.5")):
        (tmp_path / "products" / f"{name}.yaml").write_text(
            f"name: Mug\nprice: {value}\ncategory: Merch\nstock: 1\n", encoding="utf-8"
        )
    assert main(["import", "--check", str(tmp_path)]) == 1
    problems = capsys.readouterr().err
    for name, value in (("INF", ".inf"), ("NAN", ".nan"), ("SEX", "1:30.5")):
        assert f"products/{name}.yaml:2: price: '{value}' is not a plain decimal number" in problems
    assert "Traceback" not in problems


def test_line_and_paragraph_separators_in_text_survive_a_file() -> None:
    title = "Next\x85line\u2028sep\u2029para\x07bell"
    text = write_document({"title": title, "tags": ["a\x85b"]}, "content", "Body.")
    assert "\x85" not in text and "\u2028" not in text
    document = read_document(text, "content")
    assert document.fields == {"title": title, "tags": ["a\x85b"], "content": "Body."}


@pytest.mark.usefixtures("operator_env")
def test_without_the_cli_extra_the_commands_say_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)  # `import yaml` fails, as without the extra
    for name in [m for m in sys.modules if m.startswith("portfolio_api.transfer")]:
        monkeypatch.delitem(sys.modules, name)
    for command in ("export", "import"):
        assert main([command, str(tmp_path / "x")]) == 2
        line = f"portfolio-api {command} needs the `cli` extra: uv sync --extra cli\n"
        assert capsys.readouterr().err == line
