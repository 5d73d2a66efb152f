"""`/docs` and `/redoc` work with no internet: everything they load comes from the app itself.

The quick tests read the pages' HTML and fetch what it names. The browser tests serve the app
from its own process, open the pages in Debian's headless Chromium (driven by Playwright, which
downloads no browser of its own) with every request to another host refused, and use them as a
reader would: the operations are listed, a token is authorised and sent, ReDoc renders.
"""

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portfolio_api.api import docs
from portfolio_api.core.settings import Settings
from tests.conftest import SignedInUser
from tests.harness import serving_processes

CHROMIUM = Path("/usr/bin/chromium")
PAGE_TIMEOUT_MS = 20_000
PAGES = ("/docs", "/redoc")
REFERENCE = re.compile(r"""(?:src|href)=["']([^"']*)["']""")
EXTERNAL = re.compile(r"https?:|//[\w.-]")
# Redocly's logo in ReDoc's menu: the pages' policy refuses it before any request is made.
REFUSED_BY_POLICY = {"https://cdn.redoc.ly/redoc/logo-mini.svg"}
# Chromium's console message for it, older and newer wording.
CSP_REFUSAL = re.compile(
    r"(?:Refused to load|Loading) the [\w ]+ '([^']+)'.*Content Security Policy"
)
# Operations the Swagger UI page must list: public, signed-in and owner ones, deferred or not.
LISTED = ("/health", "/v1/auth/login", "/v1/users/me", "/v1/tasks", "/v1/blog/posts")


def references(page_html: str) -> list[str]:
    """Every address the page's `src` and `href` attributes name."""
    return REFERENCE.findall(page_html)


@pytest.mark.parametrize("path", PAGES)
def test_a_docs_page_names_nothing_outside_the_app(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert not EXTERNAL.search(page.text), page.text
    assert "/openapi.json" in page.text
    named = references(page.text)
    assert named and all(url.startswith(f"{docs.ASSETS_PATH}/") for url in named), named
    assert page.headers["content-security-policy"] == docs.CONTENT_SECURITY_POLICY
    if path == "/docs":
        assert '"persistAuthorization": true' in page.text


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("redoc.standalone.js", "text/javascript"),
        ("favicon.png", "image/png"),
    ],
)
def test_each_asset_the_pages_name_is_served_whole(
    client: TestClient, name: str, media_type: str
) -> None:
    named = {url for path in PAGES for url in references(client.get(path).text)}
    url = f"{docs.ASSETS_PATH}/{name}"
    assert url in named
    answer = client.get(url)
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == media_type
    assert answer.headers["x-content-type-options"] == "nosniff"
    directory = docs.asset_directory()
    assert directory is not None
    assert answer.content == (directory / name).read_bytes()


@pytest.mark.parametrize("name", ["core.py", "__init__.py", "..%2F__init__.py", "missing.js"])
def test_nothing_else_of_the_package_is_reachable(client: TestClient, name: str) -> None:
    answer = client.get(f"{docs.ASSETS_PATH}/{name}")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


def test_without_the_package_the_pages_load_from_the_cdn(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in the Lambda package, which leaves the package out: the pages still work online."""
    monkeypatch.setattr(docs, "asset_directory", lambda: None)
    swagger = client.get("/docs").text
    assert docs.CDN_ASSETS.swagger_js in swagger and docs.CDN_ASSETS.swagger_css in swagger
    assert '"persistAuthorization"' not in swagger  # no token kept where a CDN's scripts run
    redoc = client.get("/redoc").text
    assert docs.CDN_ASSETS.redoc_js in redoc
    assert "fonts.googleapis.com" not in redoc
    assert "content-security-policy" not in client.get("/redoc").headers
    assert client.get(f"{docs.ASSETS_PATH}/swagger-ui.css").status_code == 404


def test_the_pages_follow_the_stage_prefix(app: FastAPI) -> None:
    with TestClient(app, root_path="/prod") as staged:
        page = staged.get("/prod/docs").text
    assert "'/prod/openapi.json'" in page
    assert f'src="/prod{docs.ASSETS_PATH}/swagger-ui-bundle.js"' in page


def test_an_api_request_looks_nothing_up(client: TestClient) -> None:
    """Whether the package is installed is found out by the first docs request, not before."""
    docs.asset_directory.cache_clear()
    assert client.get("/health").status_code == 200
    assert docs.asset_directory.cache_info().currsize == 0
    assert client.get("/docs").status_code == 200
    assert docs.asset_directory.cache_info().currsize == 1


def test_importing_the_module_imports_nothing_new() -> None:
    """The cold start pays for the module alone: FastAPI had loaded all it uses."""
    script = (
        "import sys, fastapi\n"
        "before = set(sys.modules)\n"
        "import portfolio_api.api.docs\n"
        "print(*sorted(set(sys.modules) - before))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == ["portfolio_api", "portfolio_api.api", "portfolio_api.api.docs"]


def test_fastapis_own_pages_must_be_off() -> None:
    with pytest.raises(ValueError, match="docs_url=None"):
        docs.install_docs(FastAPI())


# --- In a browser -------------------------------------------------------------------------------


@dataclass
class Browsing:
    """A page of headless Chromium that may reach `base` and nothing else."""

    base: str
    page: Any
    refused: list[str] = field(default_factory=list)
    """Requests made to another host, each refused."""
    refused_by_policy: set[str] = field(default_factory=set)
    """Addresses the page's Content-Security-Policy kept it from asking for."""
    errors: list[str] = field(default_factory=list)
    """Uncaught errors of the page's scripts."""

    def console(self, message: Any) -> None:
        """Notes the addresses the browser reports refusing under the page's policy."""
        refusal = CSP_REFUSAL.search(message.text)
        if message.type == "error" and refusal:
            self.refused_by_policy.add(refusal.group(1))


@pytest.fixture
def served(settings: Settings, moto_url: str) -> Iterator[str]:
    """The app from its own process, built from the environment as `portfolio-api dev` builds it."""
    with serving_processes(settings, moto_url, count=1) as processes:
        yield processes.urls[0]


@pytest.fixture
def chromium() -> Path:
    """Debian's build, which Playwright drives as it is: no browser download."""
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
def browsing(chromium: Path, served: str) -> Iterator[Browsing]:
    """A page that may reach the served app only; checked afterwards for what it asked for."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev group) is absent")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True)
        context = browser.new_context()
        browsing = Browsing(base=served, page=context.new_page())

        def only_the_app(route: Any) -> None:
            url: str = route.request.url
            if url == served or url.startswith(f"{served}/"):
                route.continue_()
            else:
                browsing.refused.append(url)
                route.abort()

        context.route("**/*", only_the_app)
        browsing.page.on("pageerror", lambda error: browsing.errors.append(str(error)))
        browsing.page.on("console", browsing.console)
        browsing.page.set_default_timeout(PAGE_TIMEOUT_MS)
        try:
            yield browsing
        finally:
            browser.close()
    assert browsing.refused == [], "the page asked for something outside the app"
    assert browsing.refused_by_policy <= REFUSED_BY_POLICY, "the policy refused what the page needs"
    assert browsing.errors == [], "the page's scripts failed"


def summary_of(base: str, method: str, path: str) -> str:
    """The operation's summary in the app's document, as the pages show it."""
    document = httpx.get(f"{base}/openapi.json", timeout=10).json()
    summary: str = document["paths"][path][method]["summary"]
    return summary


@pytest.mark.slow  # a browser and an app process
def test_swagger_ui_lists_the_operations_and_authorises_a_token(
    browsing: Browsing, owner: SignedInUser
) -> None:
    page = browsing.page
    # Given the page, loaded with nothing from outside
    page.goto(f"{browsing.base}/docs")
    for path in LISTED:
        page.locator(f'.opblock-summary-path[data-path="{path}"]').first.wait_for()
    assert page.locator(".opblock").count() >= 40
    assert page.locator("button.authorize.unlocked").count() == 1

    # When the owner's token is entered under Authorize
    page.locator("button.authorize").first.click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").first.fill(owner.id_token)
    dialog.locator("button.authorize").click()

    # Then it is authorised: the dialog says so and offers Logout, and the locks close
    dialog.get_by_role("button", name="Remove authorization").wait_for()
    assert dialog.get_by_text("Authorized", exact=True).is_visible()
    dialog.get_by_role("button", name="Close").click()
    page.locator("button.authorize.locked").wait_for()
    assert page.locator('button[aria-label="authorization button locked"]').count() >= 1

    # And it is sent: an operation tried out answers with the owner's profile
    me = page.locator(".opblock-get").filter(
        has=page.locator('.opblock-summary-path[data-path="/v1/users/me"]')
    )
    me.locator(".opblock-summary").click()
    me.locator("button.try-out__btn").click()
    me.locator("button.execute").click()
    answer = me.locator(".live-responses-table tbody .response").first
    answer.wait_for()
    assert answer.locator(".response-col_status").inner_text() == "200"
    assert owner.email in answer.locator(".microlight").first.inner_text()

    # And it stays authorised when the page is loaded again (persistAuthorization)
    page.reload()
    page.locator('.opblock-summary-path[data-path="/v1/users/me"]').first.wait_for()
    assert page.locator("button.authorize.locked").count() == 1


@pytest.mark.slow  # a browser and an app process
def test_redoc_renders_the_api_in_the_systems_fonts(browsing: Browsing) -> None:
    page = browsing.page
    page.goto(f"{browsing.base}/redoc")
    title = page.locator("h1").first
    title.wait_for()
    assert title.inner_text().startswith("Portfolio API")
    operation = summary_of(browsing.base, "get", "/v1/users/me")
    page.locator("h2", has_text=operation).first.wait_for()
    font = page.eval_on_selector("h1", "element => getComputedStyle(element).fontFamily")
    assert font.startswith("system-ui"), font
