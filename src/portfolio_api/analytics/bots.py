"""Known bots and crawlers by user agent; their requests are answered and never counted.

The crawlers by name come from the crawler-user-agents data set (github.com/monperrus/
crawler-user-agents, MIT), read from the JSON file that its PyPI package `crawler-user-agents`
ships (`crawleruseragents/crawler-user-agents.json`). It is kept up to date by bumping that pin in
pyproject.toml (and `[tool.uv] exclude-newer`); tests/unit/test_bot_data_set.py then checks every
example the new list gives, and that real browsers are still counted.

On top of it, `OWN_WORDS` and `OWN_REGEXES`: what the data set leaves out. Generic crawler words
and the word `bot` catch crawlers it does not name yet (but a CUBOT phone is a browser); HTTP
clients (PowerShell, Ruby, Deno, Bun, Node's `fetch`, Java, Postman, …) and a few tools are not in
it; a missing or blank user agent is a bot too, as browsers always send one.

The data set's patterns are matched case-sensitively, as it intends: its patterns spell out the
cases they accept (`[wW]get`, `S[eE][mM]rushBot`), and ignoring case would let a short name match
inside a browser's words. Ours ignore case (the user agent is lower-cased), as before.

Nothing is read or compiled at import: a cold start that counts no visit never pays for it.
The first `is_bot` call does (about 30 ms), or `prepare()`, which the SnapStart priming calls so
that the snapshot holds the compiled patterns.
"""

import functools
import importlib.util
import json
import re
from pathlib import Path

_DATA_PACKAGE = "crawleruseragents"
_DATA_FILE = "crawler-user-agents.json"

# Our own additions, matched in the lower-cased user agent. Substrings:
OWN_WORDS: tuple[str, ...] = (
    # generic words of crawlers the data set does not name (yet)
    "crawl", "spider", "slurp", "scrap", "fetch", "preview", "archiver", "indexer", "monitor",
    "checker", "validator", "scan", "probe", "headless",
    # named ones it misses
    "newrelicpinger", "page speed",
    # HTTP clients and tools it misses (it has `curl` only at the start, not `libcurl/`)
    "curl/", "java/", "java-http-client", "postmanruntime", "insomnia", "powershell/", "dart:io",
)  # fmt: skip
# and regexes, each starting with a literal or `^` so that a search skips ahead quickly:
OWN_REGEXES: tuple[str, ...] = (
    # `…bot/1.0`, `…bot-…`, `…bot_…`, `…bot;`, `…bot)` or the word `bot`: how crawlers name
    # themselves; but not `CUBOT…`, a phone brand (`CUBOT_X30`, `CUBOT P30`): those are browsers.
    r"bot(?:(?<!\wbot)\b|(?<!cubot)(?:[/\-_;)]|$))",
    # whole user agents of HTTP clients: Ruby's Net::HTTP, Deno, Bun, Node's fetch, undici's
    r"^(?:ruby\b|deno/|bun/|node$|undici\b)",
)

_NOTHING = "(?!)"

# A pattern that is a plain string, `\.`-style escapes aside (re's cache compiles it once).
_PLAIN = r"(?:[^\\^$.|?*+()\[\]{}]|\\[^A-Za-z0-9])*"


def is_bot(user_agent: str | None) -> bool:
    """Whether a user agent belongs to a bot, crawler or non-browser client."""
    if not user_agent or not user_agent.strip():
        return True
    own, data_set = _matchers()
    lowered = user_agent.lower()
    return any(pattern.search(lowered) for pattern in own) or any(
        pattern.search(user_agent) for pattern in data_set
    )


def prepare() -> None:
    """Read and compile the patterns now (SnapStart priming), not on the first counted visit."""
    _matchers()


@functools.cache
def _matchers() -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
    """Our patterns (lower-case), then the data set's (case-sensitive), a few regexes each.

    The data set's ~1470 plain names make one regex, its patterns anchored at the start one regex
    and its ~25 others a third: ~30 µs a browser's user agent, where one alternation of all its
    ~1500 patterns costs ~400 µs and the package's own `is_crawler` (chunks of 25) ~130 µs.
    """
    names: list[str] = []
    at_start: list[str] = []
    others: list[str] = []
    for pattern in _data_set_patterns():
        if (name := _plain(pattern)) is not None:
            names.append(name)
        elif pattern.startswith("^") and "|" not in pattern:
            at_start.append(pattern[1:])
        else:
            others.append(pattern)
    own = (_strings(list(OWN_WORDS)), *OWN_REGEXES)
    data_set = (_strings(names), f"^(?:{_any(at_start)})", _any(others))
    return tuple(map(re.compile, own)), tuple(map(re.compile, data_set))


def _plain(pattern: str) -> str | None:
    """The string a pattern matches if it is a plain string, to be matched as one."""
    return re.sub(r"\\(.)", r"\1", pattern) if re.fullmatch(_PLAIN, pattern) else None


def _any(patterns: list[str]) -> str:
    """Any of these patterns; none matches nothing (an empty alternation would match anything)."""
    return "|".join(f"(?:{pattern})" for pattern in patterns) or _NOTHING


def _data_set_patterns() -> list[str]:
    """The data set's patterns, read from the package's file without importing the package
    (its import would parse the same JSON once more)."""
    spec = importlib.util.find_spec(_DATA_PACKAGE)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"the {_DATA_PACKAGE} package (crawler-user-agents) is not installed")
    entries = json.loads(Path(spec.origin).with_name(_DATA_FILE).read_bytes())
    return [str(entry["pattern"]) for entry in entries]


def _strings(strings: list[str]) -> str:
    """One regex for "any of these strings", grouped by their first character: at each position
    a search tries only the group of that character (~10 µs a user agent for ~1500 strings, where
    a plain alternation takes ~300 µs; a full trie, ~8 µs, costs 10 ms more to build)."""
    groups: dict[str, list[str]] = {}
    for string in sorted(set(strings)):
        groups.setdefault(string[:1], []).append(re.escape(string[1:]))
    alternatives = (f"{re.escape(first)}(?:{'|'.join(rests)})" for first, rests in groups.items())
    return "|".join(alternatives) or _NOTHING
