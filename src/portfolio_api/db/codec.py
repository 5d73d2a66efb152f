"""DynamoDB's attribute-value form, both ways, with the rules of boto3's `TypeSerializer`.

Ours rather than `boto3.dynamodb.types`: importing any part of boto3 imports the whole package,
and with it s3transfer and multiprocessing, about a tenth of a cold start that never touches S3.
The botocore client underneath is the same. Numbers follow DynamoDB's own limits (38 significant
digits, exponents -130 to 125): a value that would be rounded is refused, never stored altered.
"""

from collections.abc import Callable, Mapping, Set
from decimal import (
    Clamped,
    Context,
    Decimal,
    Inexact,
    Overflow,
    Rounded,
    Underflow,
)
from typing import Any

AttributeValue = dict[str, Any]

NUMBER_CONTEXT = Context(
    Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow]
)


def _number_text(value: int | Decimal) -> str:
    if isinstance(value, Decimal) and not value.is_finite():
        raise TypeError("Infinity and NaN are not supported")
    return str(NUMBER_CONTEXT.create_decimal(value))


def _is_number(value: object) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def to_attribute(value: Any) -> AttributeValue:
    """One Python value as an attribute value; floats are refused (convert them first)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if _is_number(value):
        return {"N": _number_text(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, Set) and value:
        members = list(value)
        if all(_is_number(m) for m in members):
            return {"NS": [_number_text(m) for m in members]}
        if all(isinstance(m, str) for m in members):
            return {"SS": members}
        if all(isinstance(m, bytes | bytearray) for m in members):
            return {"BS": [bytes(m) for m in members]}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute(v) for v in value]}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_attribute(v) for k, v in value.items()}}
    raise TypeError(f"Unsupported type {type(value).__name__!r} for value {value!r}")


def from_attribute(attribute: Mapping[str, Any]) -> Any:
    """One attribute value as Python: numbers as `Decimal`, binaries as `bytes`, sets as sets."""
    try:
        ((kind, raw),) = attribute.items()
    except ValueError:
        raise TypeError(f"An attribute value has one type, not {sorted(attribute)}") from None
    if kind == "S":  # by far the most common: first, and without a lookup
        return raw
    decode = _DECODERS.get(kind)
    if decode is None:
        raise TypeError(f"DynamoDB type {kind!r} is not supported")
    return decode(raw)


def _number(raw: str) -> Decimal:
    return NUMBER_CONTEXT.create_decimal(raw)


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "N": _number,
    "M": lambda raw: {k: from_attribute(v) for k, v in raw.items()},
    "L": lambda raw: [from_attribute(v) for v in raw],
    "BOOL": lambda raw: raw,
    "B": lambda raw: raw,
    "NULL": lambda _raw: None,
    "SS": set,
    "NS": lambda raw: {_number(n) for n in raw},
    "BS": set,
}
