"""JSON with exact numbers: bodies parse decimals as `Decimal`, responses print them as written.

Python's `json` reads `19.99` as a binary float and cannot print a `Decimal`; money must be
neither rounded nor turned into a float on its way through, so both ends are replaced here.
"""

import json
import re
import secrets
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

_MARK = f"\x00{secrets.token_hex(8)}:"
_MARKED = re.compile(re.escape(json.dumps(_MARK)[:-1]) + r'(-?[0-9.E+-]+)"')


class DecimalJSONRequest(Request):
    """A request whose JSON body keeps decimal numbers exact."""

    async def json(self) -> Any:
        """The body, with every non-integer number as a `Decimal`."""
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_float=Decimal)
        return self._json


class DecimalJSONRoute(APIRoute):
    """Routes of this class read JSON bodies with `DecimalJSONRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler so it sees the exact-number request."""
        handler = super().get_route_handler()

        async def exact_handler(request: Request) -> Response:
            return await handler(DecimalJSONRequest(request.scope, request.receive))

        return exact_handler


def dumps_exact(content: Any, *, sort_keys: bool = False) -> str:
    """JSON text in which a `Decimal` is a number with exactly its digits (`0.10` stays).

    A whole non-negative number (`Decimal("42")`) is written as the int it equals, with the same
    digits; only others are marked and unmarked, so most bodies skip the second pass.
    """
    marked = False

    def default(value: object) -> object:
        nonlocal marked
        if isinstance(value, BaseModel):  # a read model inside a list or a dict
            return wire_form(value)
        if isinstance(value, date) and not isinstance(value, datetime):  # a read model's date
            return value.isoformat()
        if isinstance(value, Decimal) and value.is_finite():
            if value.as_tuple().exponent == 0 and not value.is_signed():  # `-0` stays `-0`
                return int(value)
            marked = True
            return f"{_MARK}{value}"
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")

    text = json.dumps(
        content, default=default, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys
    )
    return _MARKED.sub(r"\1", text) if marked else text


def wire_form(content: Any) -> Any:
    """A read model as its JSON-ready dict (camelCase, decimals still `Decimal`); else as is."""
    if isinstance(content, BaseModel):
        # No warnings: an item served as stored though it breaks its model (ApiModel.from_item)
        # has been logged once already.
        return content.model_dump(by_alias=True, warnings=False)
    return content


class ExactJSONResponse(JSONResponse):
    """A JSON response that prints decimals exactly; its content may be a read model."""

    def render(self, content: Any) -> bytes:
        """Serialise with `dumps_exact`."""
        return dumps_exact(wire_form(content)).encode()
