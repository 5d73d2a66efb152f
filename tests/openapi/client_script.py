"""What a Python consumer of the OpenAPI document writes: one typed walk through the client that
openapi-python-client generates from it (`portfolio_api_client`).

tests/infra/test_openapi_tools.py generates the package, checks this file against it with
`mypy --strict`, then runs `main` against the app. Path parameters are passed by position, so a
renamed one changes nothing here; an operation id, a tag or a schema name that changes does.
"""

from collections.abc import Callable, Mapping
from http import HTTPStatus

import httpx
from portfolio_api_client import AuthenticatedClient, Client
from portfolio_api_client.api.analytics import count_view
from portfolio_api_client.api.auth import login
from portfolio_api_client.api.blog import (
    create_blog_post,
    get_blog_post,
    list_blog_posts,
    publish_blog_post,
    update_blog_post,
)
from portfolio_api_client.models import (
    BlogPost,
    BlogPostCreate,
    BlogPostPage,
    BlogPostStatus,
    BlogPostUpdate,
    ContentType,
    CountOutcome,
    LoginRequest,
    Problem,
    Tokens,
    ViewRequest,
)

ClientFactory = Callable[[Mapping[str, str]], httpx.Client]
"""An httpx client over the API that sends these headers (in the test, a TestClient)."""


def expect[T](answer: object, kind: type[T]) -> T:
    """An operation answers a union (the documented bodies, or None for an undocumented
    status); each step knows which one it should get, and says what came instead."""
    if not isinstance(answer, kind):
        raise AssertionError(f"expected {kind.__name__}, got {answer!r}")
    return answer


def anonymous(factory: ClientFactory) -> Client:
    """A client without a token: what the routes that need no user take."""
    http = factory({})
    return Client(base_url=str(http.base_url)).set_httpx_client(http)


def signed_in(factory: ClientFactory, token: str) -> AuthenticatedClient:
    """A client with a token; the httpx client given to it must carry the header itself, since
    `set_httpx_client` replaces the one the generated client would have built with it."""
    http = factory({"Authorization": f"Bearer {token}"})
    return AuthenticatedClient(base_url=str(http.base_url), token=token).set_httpx_client(http)


def main(client_factory: ClientFactory, email: str, password: str) -> None:
    """Sign in as the owner, write and publish a post, read it back the public ways, count a
    view and meet a lost update's 412, checking each typed answer."""
    tokens = expect(
        login.sync(
            client=anonymous(client_factory), body=LoginRequest(email=email, password=password)
        ),
        Tokens,
    )
    owner = signed_in(client_factory, tokens.id_token)

    draft = expect(
        create_blog_post.sync(
            client=owner,
            body=BlogPostCreate(
                title="Typed clients", content="Generated from the document.", category="tools"
            ),
        ),
        BlogPost,
    )
    assert draft.status == BlogPostStatus.DRAFT, draft
    post = expect(publish_blog_post.sync(draft.id, client=owner), BlogPost)
    assert post.status == BlogPostStatus.PUBLISHED and post.version == draft.version + 1, post

    page = expect(list_blog_posts.sync(client=owner), BlogPostPage)
    assert post.id in [item.id for item in page.items], page
    by_slug = expect(get_blog_post.sync(post.slug, client=owner), BlogPost)
    assert (by_slug.id, by_slug.version) == (post.id, post.version), by_slug

    view = ViewRequest(content_type=ContentType.BLOG, content_id=post.id)
    outcome = expect(count_view.sync(client=owner, body=view), CountOutcome)
    assert outcome.counted is False, outcome  # the owner's own views are never counted

    stale = update_blog_post.sync_detailed(
        post.id,
        client=owner,
        body=BlogPostUpdate(title="Lost update"),
        if_match=f'"{draft.version}"',
    )
    assert stale.status_code == HTTPStatus.PRECONDITION_FAILED, stale
    problem = expect(stale.parsed, Problem)
    assert (problem.status, problem.code) == (412, "precondition_failed"), problem
