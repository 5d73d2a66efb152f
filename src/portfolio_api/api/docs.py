"""The interactive docs, `/docs` (Swagger UI) and `/redoc` (ReDoc), that work without internet.

FastAPI's own pages load Swagger UI, ReDoc and Google's fonts from CDNs, so a machine offline (a
laptop on a train, CI's headless browser) shows a white page. Here the pages load Swagger UI's and
ReDoc's files from the `fastapi-offline` package, served at `/docs/assets/{name}`, ReDoc is set to
the system's fonts, and a Content-Security-Policy keeps the browser from loading anything from
elsewhere (ReDoc's menu shows Redocly's logo from their CDN, which no option hides). The package is
in the `local` extra only, since it would add 2.8 MB to the Lambda package: where it is absent, as
there, the same pages load those files from the CDNs FastAPI uses, and the asset route answers 404.

Building the app only adds four routes: whether the package is installed is looked up on the first
request for a page or an asset, and the package itself is never imported (its files are read).
"""

import html
import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

ASSET_PACKAGE = "fastapi_offline"
ASSETS_PATH = "/docs/assets"

ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
"""The files served, by name, with their media types: nothing else of the package is reachable."""

SWAGGER_UI_PARAMETERS: dict[str, Any] = {
    "validatorUrl": None,  # no validity badge, which Swagger UI would fetch from swagger.io
}
PERSISTED_AUTHORIZATION: dict[str, Any] = {"persistAuthorization": True}
"""A token entered once survives reloading the page (it is kept in the page's local storage):
only where the page loads this app's own copies under its policy, not scripts from a CDN."""

SYSTEM_FONTS = 'system-ui, -apple-system, "Segoe UI", "Helvetica Neue", Arial, sans-serif'
MONOSPACE_FONTS = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
REDOC_OPTIONS: dict[str, Any] = {
    # ReDoc's own fonts (Montserrat, Roboto) would have to come from Google.
    "theme": {
        "typography": {
            "fontFamily": SYSTEM_FONTS,
            "headings": {"fontFamily": SYSTEM_FONTS},
            "code": {"fontFamily": MONOSPACE_FONTS},
        }
    }
}

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",  # each page starts its UI from an inline script
        "style-src 'self' 'unsafe-inline'",  # both UIs set styles inline
        # Their icons are data: URLs. ReDoc's menu shows Redocly's logo from cdn.redoc.ly, and no
        # option hides it: refused here, the image hides itself.
        "img-src 'self' data:",
        "worker-src 'self' blob:",  # ReDoc's search index is built in a worker made from a blob
        "connect-src 'self'",  # the document, and what Swagger UI's "Try it out" sends
    )
)
"""Sent with the pages that use this app's copies: the browser loads nothing from elsewhere."""


@dataclass(frozen=True, slots=True)
class PageAssets:
    """Where a docs page loads its scripts, its styles and its icon from."""

    swagger_js: str
    swagger_css: str
    redoc_js: str
    favicon: str


CDN_ASSETS = PageAssets(
    swagger_js="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js",
    swagger_css="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css",
    redoc_js="https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js",
    favicon="https://fastapi.tiangolo.com/img/favicon.png",
)
"""FastAPI's defaults: what the pages use where the package is not installed (Lambda)."""


def install_docs(app: FastAPI) -> None:
    """Serve /docs, /redoc and their files; FastAPI's own pages must be off (they match first)."""
    if app.docs_url or app.redoc_url or not app.openapi_url:
        raise ValueError("install_docs needs FastAPI(docs_url=None, redoc_url=None) and a document")
    app.add_route("/docs", swagger_page, include_in_schema=False)
    if app.swagger_ui_oauth2_redirect_url:  # as FastAPI's own pages have it
        app.add_route(app.swagger_ui_oauth2_redirect_url, oauth2_redirect, include_in_schema=False)
    app.add_route("/redoc", redoc_page, include_in_schema=False)
    app.add_route(f"{ASSETS_PATH}/{{name}}", asset, include_in_schema=False)


@cache
def asset_directory() -> Path | None:
    """The package's folder of files, or None where it is not installed; found without importing
    it, once per process, when a docs page or file is first asked for."""
    spec = importlib.util.find_spec(ASSET_PACKAGE)
    if spec is None or spec.origin is None:
        return None
    directory = Path(spec.origin).parent / "static"
    return directory if directory.is_dir() else None


def page_assets(root_path: str) -> PageAssets:
    """This app's copies of the files where the package is installed, else the CDN's."""
    if asset_directory() is None:
        return CDN_ASSETS
    base = f"{root_path}{ASSETS_PATH}"
    return PageAssets(
        swagger_js=f"{base}/swagger-ui-bundle.js",
        swagger_css=f"{base}/swagger-ui.css",
        redoc_js=f"{base}/redoc.standalone.js",
        favicon=f"{base}/favicon.png",
    )


def _root_path(request: Request) -> str:
    """The stage prefix (`/prod`) the browser sees before every path, as FastAPI's pages use it."""
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


async def swagger_page(request: Request) -> HTMLResponse:
    """Swagger UI over this app's document; its Authorize button takes the bearer token."""
    app: FastAPI = request.app
    root = _root_path(request)
    assets = page_assets(root)
    redirect = app.swagger_ui_oauth2_redirect_url
    page = get_swagger_ui_html(
        openapi_url=f"{root}{app.openapi_url}",
        title=f"{app.title} - Swagger UI",
        swagger_js_url=assets.swagger_js,
        swagger_css_url=assets.swagger_css,
        swagger_favicon_url=assets.favicon,
        oauth2_redirect_url=f"{root}{redirect}" if redirect else None,
        swagger_ui_parameters=SWAGGER_UI_PARAMETERS
        | (PERSISTED_AUTHORIZATION if assets != CDN_ASSETS else {}),
    )
    return _confined(page, assets)


async def oauth2_redirect(_request: Request) -> HTMLResponse:
    """Where an OAuth2 sign-in would return to Swagger UI: kept so the routes match FastAPI's."""
    return get_swagger_ui_oauth2_redirect_html()


async def redoc_page(request: Request) -> HTMLResponse:
    """ReDoc over this app's document, in the system's fonts (FastAPI's page takes no options)."""
    app: FastAPI = request.app
    root = _root_path(request)
    assets = page_assets(root)
    page = REDOC_HTML.format(
        title=html.escape(f"{app.title} - ReDoc"),
        favicon=html.escape(assets.favicon),
        redoc_js=html.escape(assets.redoc_js),
        spec_url=_script_json(f"{root}{app.openapi_url}"),
        options=_script_json(REDOC_OPTIONS),
    )
    return _confined(HTMLResponse(page), assets)


def _confined(page: HTMLResponse, assets: PageAssets) -> HTMLResponse:
    """The page with the policy that keeps it on this app, unless it loads the CDN's copies."""
    if assets != CDN_ASSETS:
        page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page


REDOC_HTML = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="shortcut icon" href="{favicon}">
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<noscript>ReDoc needs JavaScript to show the documentation.</noscript>
<div id="redoc"></div>
<script src="{redoc_js}"></script>
<script>Redoc.init({spec_url}, {options}, document.getElementById("redoc"));</script>
</body>
</html>
"""


def _script_json(value: Any) -> str:
    """JSON that cannot end the `<script>` element it is written into."""
    text = json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


async def asset(request: Request) -> Response:
    """One of the package's files; 404 for any other name, or where the package is absent."""
    name: str = request.path_params["name"]
    directory = asset_directory()
    if name not in ASSET_TYPES or directory is None:
        raise HTTPException(404)
    # Read whole, not streamed (FileResponse): the edge middleware's replayed `receive` reports a
    # disconnect once the request body is read, which cuts a streamed body short.
    return Response((directory / name).read_bytes(), media_type=ASSET_TYPES[name])
