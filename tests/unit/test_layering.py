"""Keys and conditions live in `db/` and `repositories/` only: no other module of the app formats
a key string or writes a DynamoDB expression, so a changed format has one place to look."""

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "portfolio_api"
ALLOWED = {"db", "repositories"}
DYNAMODB_WORDS = re.compile(
    r"ConditionExpression|UpdateExpression|KeyConditionExpression|FilterExpression"
    r"|attribute_exists|attribute_not_exists|begins_with\("
)
KEY_STRING = re.compile(r"""["'][A-Z][A-Z_]*#|#\{""")  # "USER#…", f"…#{value}"


def test_no_key_string_or_condition_outside_db_and_repositories() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if DYNAMODB_WORDS.search(line) or KEY_STRING.search(line):
                found.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert found == []


def test_the_check_sees_what_it_looks_for() -> None:
    for line in ('key = f"VIEWS#{kind}"', 'condition = "attribute_exists(PK)"', '"TOP#all"'):
        assert DYNAMODB_WORDS.search(line) or KEY_STRING.search(line), line
