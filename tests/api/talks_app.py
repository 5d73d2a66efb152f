"""A throwaway collection, talks, and an app process that serves it beside the real three.

`python -m tests.api.talks_app FD` adds `TALKS` to `ALL_COLLECTIONS` before anything has read the
list, which is what declaring it in content/collections.py would do, then builds the app from the
environment and serves it on the inherited socket FD. A fresh process, since the content routers
and the analytics `contentType` are derived from the list when their modules are imported.

Talks deliberately have no facets, no derived fields and no counts route: the least a collection
can declare. Importing this module imports no app module, so the test process can name `TALKS`.
"""

import socket
import sys
from typing import Annotated

from pydantic import ConfigDict, Field

from portfolio_api.content.spec import ContentSpec
from portfolio_api.schemas.content import ContentCreate, Title


class TalkCreate(ContentCreate):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"title": "Serverless in practice", "event": "PyCon"}]}
    )

    title: Title
    event: Annotated[str, Field(min_length=1, max_length=100)]


TALKS = ContentSpec(
    name="talk",
    path="/v1/talks",
    singular="talk",
    tag="talks",
    create_model=TalkCreate,
    model_prefix="Talk",
    slug_source="title",
)


def serve(listener: socket.socket, parent: int) -> None:
    """Declare talks, then build and serve the app as a container would."""
    from portfolio_api.content import collections

    readers = ("portfolio_api.main", "portfolio_api.schemas.analytics")
    early = [name for name in readers if name in sys.modules]
    assert not early, f"{early} read ALL_COLLECTIONS before talks were declared"
    collections.ALL_COLLECTIONS = (*collections.ALL_COLLECTIONS, TALKS)

    import uvicorn

    from portfolio_api.cli import SERVER_OPTIONS
    from portfolio_api.core.settings import load_settings
    from portfolio_api.main import create_app
    from tests.harness import _exit_with

    _exit_with(parent)
    config = uvicorn.Config(
        create_app(load_settings()),
        lifespan="off",
        log_level="warning",
        access_log=False,
        **SERVER_OPTIONS,
    )
    uvicorn.Server(config).run(sockets=[listener])


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])), int(sys.argv[2]))
