"""The folder format `portfolio-api/1`: file names, YAML and front matter, one file at a time.

```
manifest.json                 {"format": "portfolio-api/1", "exportedAt", "counts": {...}}
<spec.folder>/<slug>.md       YAML front matter + the Markdown body (`spec.body_field`);
                              `formerSlugs` lists the slugs that answer 301 to the item,
                              `version` (last) is its `ETag`
<spec.folder>/<slug>.yaml     collections without a body
products/<id>.yaml
analytics/visitors-daily.csv  date,visitors
analytics/views-daily.csv     date,contentType,contentId,slug,views
```

YAML is dumped in a fixed key order with PyYAML's safe dumper, so the same data gives the same
bytes. It is loaded without YAML 1.1's timestamps (`2025-03-01` stays the text the API takes)
and with decimals as `Decimal`, so a price of `19.90` is never a binary float on the way in.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from portfolio_api.content.collections import ALL_COLLECTIONS
from portfolio_api.content.spec import ContentSpec

FORMAT = "portfolio-api/1"
MANIFEST = "manifest.json"
PRODUCTS = "products"
ANALYTICS = "analytics"
VISITORS_CSV = f"{ANALYTICS}/visitors-daily.csv"
VIEWS_CSV = f"{ANALYTICS}/views-daily.csv"
ENTRIES = (MANIFEST, *(s.folder for s in ALL_COLLECTIONS), PRODUCTS, ANALYTICS)
"""What an export folder holds; DIR may hold dotfiles (`.git`) besides, never anything else."""
FENCE = "---"
FORMER_SLUGS = "formerSlugs"  # slugs the item held before: each answers 301 to it
META_FIRST = ("id", "slug", FORMER_SLUGS, "status")  # what a reader looks for first
META_LAST = ("publishedAt", "createdAt", "updatedAt")  # instants the API sets, kept on import
VERSION = "version"  # last: the `ETag` a restore keeps, so an old one never names other content
_FLOAT_TAG = "tag:yaml.org,2002:float"
_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


def suffix(spec: ContentSpec) -> str:
    """`.md` for a collection with a Markdown body, `.yaml` for the others."""
    return ".md" if spec.body_field else ".yaml"


class _Dumper(yaml.SafeDumper):
    """Safe dumping, plus `Decimal` written as the exact number it is (`19.90`, `0.10`)."""


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    return dumper.represent_scalar(_FLOAT_TAG, str(value))


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Text holding a character a YAML reader would change or drop (U+0085, U+2028, U+2029, a
    control character) is written double-quoted, with that character escaped."""
    if any(not char.isprintable() and char not in "\n\t" for char in value):
        return dumper.represent_scalar(_STR_TAG, value, style='"')
    return dumper.represent_str(value)


_Dumper.add_representer(Decimal, _decimal)
_Dumper.add_representer(str, _text)


class _Loader(yaml.SafeLoader):
    """Safe loading, with numbers with a fraction as `Decimal` and dates left as text."""


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    """A YAML float as the exact decimal it is written as; `.inf`, `.nan` and YAML 1.1's
    sexagesimal `1:30.5` are no number the API takes, so they are a problem at their line."""
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} is not a plain decimal number", node.start_mark
        )
    return value


_Loader.add_constructor(_FLOAT_TAG, _construct_decimal)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def dump_yaml(data: Mapping[str, Any]) -> str:
    """`data` as block YAML in its own key order, unicode kept, long lines never folded."""
    return yaml.dump(
        dict(data),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )


def write_document(data: Mapping[str, Any], body_field: str | None, body: str | None) -> str:
    """A file's text: front matter and body for a collection with a body, else plain YAML."""
    if body_field is None:
        return dump_yaml(data)
    return f"{FENCE}\n{dump_yaml(data)}{FENCE}\n{body or ''}"


class FileProblem(Exception):
    """What is wrong with a file, at a line (1-based) and a field (empty: the whole file)."""

    def __init__(self, line: int, field: str, message: str) -> None:
        super().__init__(message)
        self.line, self.field, self.message = line, field, message


@dataclass
class Document:
    """A parsed file: its fields, the line each top-level key is on, and its body's line."""

    fields: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)
    body_line: int = 1

    def line_of(self, name: str) -> int:
        """Where a field is written: its key's line, the body's for the body, else line 1."""
        return self.lines.get(name, 1)


def read_document(text: str, body_field: str | None) -> Document:
    """Parse a file: plain YAML, or `---` front matter then the body, byte for byte."""
    if body_field is None:
        return _mapping(text, first_line=1)
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != FENCE:
        raise FileProblem(1, "", f"must start with a '{FENCE}' line (YAML front matter)")
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") == FENCE:
            break
    else:
        raise FileProblem(1, "", f"the front matter has no closing '{FENCE}' line")
    document = _mapping("".join(lines[1:index]), first_line=2)
    if body_field in document.fields:
        raise FileProblem(
            document.line_of(body_field), body_field, "goes in the body, after the front matter"
        )
    body = "".join(lines[index + 1 :])
    document.body_line = index + 2
    if body:
        document.fields[body_field] = body
        document.lines[body_field] = document.body_line
    return document


def _mapping(text: str, first_line: int) -> Document:
    """YAML that must be one mapping, with the line of each of its keys."""
    offset = first_line - 1
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document({})
        if not isinstance(node, yaml.MappingNode):
            raise FileProblem(node.start_mark.line + 1 + offset, "", "must be a YAML mapping")
        data = loader.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + offset if mark else first_line
        raise FileProblem(line, _field_at(node, mark), str(exc.problem or exc)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + offset if mark else first_line
        raise FileProblem(line, "", f"not valid YAML: {exc.problem or exc}") from None
    finally:
        loader.dispose()
    lines = {str(key.value): key.start_mark.line + 1 + offset for key, _ in node.value}
    return Document({str(k): v for k, v in data.items()}, lines)


def _field_at(node: yaml.Node | None, mark: yaml.Mark | None) -> str:
    """The top-level key whose value holds `mark` (a value YAML cannot construct), or ""."""
    if mark is None or not isinstance(node, yaml.MappingNode):
        return ""
    for key, value in node.value:
        if value.start_mark.index <= mark.index <= value.end_mark.index:
            return str(key.value)
    return ""
