"""Fuzzing from the app's own OpenAPI document: no answer is a 5xx, and every answer is one the
document describes (its status, media type, headers and body schema).

schemathesis loads `/openapi.json` from the app in-process and generates requests for every
operation; its checks judge each answer. Every operation is fuzzed (hypothesis, valid and
invalid requests) as four callers: anonymous, a confirmed member and the owner (Cognito ID
tokens), and a forged token (the member's, its signature replaced), which every route that reads
a token must refuse with a documented 401. As the owner, whom no route turns away before
validation, every operation also gets schemathesis's coverage cases: each field and parameter of
the wrong type, over or under its bounds, missing, or unknown (deterministic, about 1,500).

The budget is fixed, not timed: derandomised, without shrinking, so every run sends the same
requests and takes under a minute (about 45 s here). The counts are printed at the end of any
pytest run that includes the test.
"""

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from portfolio_api.local.stack import OWNER_GROUP
from tests.conftest import PASSWORD, SignedInUser, bearer

EXAMPLES_PER_OPERATION = 8
"""Generated requests per operation, for each of the three callers the contract knows."""

FORGED_EXAMPLES_PER_OPERATION = 3
"""Fewer with a forged token: every route that reads it stops at the same 401."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

BUDGET = settings(
    deadline=None,
    derandomize=True,  # the same requests on every run, here and in CI
    database=None,
    # No shrinking: a failure is reported as first met, with its curl command; shrinking would
    # replay requests against state the first ones changed, and spend time the budget lacks.
    phases=(Phase.generate,),
    report_multiple_bugs=False,
    suppress_health_check=(
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ),
    verbosity=Verbosity.quiet,
)

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@dataclass
class Caller:
    """One way of calling: its headers, its budget, and how to sign in again once the fuzzer
    has ended its session (a generated logout succeeds, and the token is refused from then on)."""

    mode: str
    headers: dict[str, str]
    sign_in_again: Callable[[], dict[str, str]] | None = None
    examples: int = EXAMPLES_PER_OPERATION
    coverage: bool = False


@dataclass
class Tally:
    """What one caller sent: operations, requests (coverage cases among them), and answers."""

    operations: set[str] = field(default_factory=set)
    requests: int = 0
    coverage_cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)


def documented_operations(document: dict[str, Any]) -> set[str]:
    """`METHOD /path` of every operation the document lists."""
    return {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def forged(token: str) -> str:
    """The token with another signature: well formed, but not signed by the pool."""
    header, payload, signature = token.split(".")
    return f"{header}.{payload}.{signature[::-1]}"


def signed_in_again(
    client: TestClient,
    make_user: Callable[..., SignedInUser],
    email: str,
    groups: tuple[str, ...] = (),
) -> Callable[[], dict[str, str]]:
    """A new sign-in of the same user, or of the user made again should one have been deleted."""

    def sign_in() -> dict[str, str]:
        login = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        if login.status_code == 200:
            return bearer(login.json()["idToken"])
        return make_user(email, groups=groups).headers

    return sign_in


def send_and_check(case: Any, caller: Caller, tally: Tally) -> None:
    """Send one case as the caller and judge the answer; AssertionError with the report."""
    response = case.call(headers=caller.headers)
    tally.operations.add(case.operation.label)
    tally.requests += 1
    tally.statuses[response.status_code] += 1
    try:
        case.validate_response(response, checks=CHECKS, headers=caller.headers)
    except FailureGroup as failures:  # one error type, so hypothesis reports one failure
        raise AssertionError(str(failures)) from None


def fuzz(operation: Any, caller: Caller, tally: Tally) -> str | None:
    """Generated requests for one operation as one caller: None, or the report of a failure."""
    cases = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
        GenerationMode.NEGATIVE
    )

    @settings(BUDGET, max_examples=caller.examples)
    @given(case=cases)
    def send(case: Any) -> None:
        send_and_check(case, caller, tally)

    try:
        send()
    except Exception as exc:
        return f"{caller.mode}, {operation.label}:\n{exc}"
    return None


def cover(schema: Any, operation: Any, caller: Caller, tally: Tally) -> str | None:
    """schemathesis's coverage cases for one operation, the invalid ones: each value of the
    wrong type, out of bounds, missing or unknown, in turn. None, or the first failure's report.
    """
    cases = schema.iter_coverage_cases(
        operation,
        generation_modes=[GenerationMode.NEGATIVE],
        generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
    )
    for case in cases:
        tally.coverage_cases += 1
        try:
            send_and_check(case, caller, tally)
        except AssertionError as exc:
            return f"{caller.mode} (coverage), {operation.label}:\n{exc}"
    return None


def keep_signed_in(client: TestClient, caller: Caller) -> None:
    """Sign in again when the last operation ended the caller's session."""
    if caller.sign_in_again is None:
        return
    if client.get("/v1/users/me", headers=caller.headers).status_code == 401:
        caller.headers = caller.sign_in_again()
        assert client.get("/v1/users/me", headers=caller.headers).status_code == 200


def summary(tallies: dict[str, Tally], operations: int, seconds: float) -> str:
    """One line: operations, auth modes, requests per mode, and the answers by class."""
    requests = sum(tally.requests for tally in tallies.values())
    statuses: Counter[int] = sum((tally.statuses for tally in tallies.values()), Counter())
    classes = ", ".join(
        f"{hundred}xx {sum(n for status, n in statuses.items() if status // 100 == hundred):,}"
        for hundred in (2, 3, 4, 5)
    )
    modes = ", ".join(
        f"{mode} {tally.requests:,}"
        + (f" ({tally.coverage_cases:,} coverage cases)" if tally.coverage_cases else "")
        for mode, tally in tallies.items()
    )
    return (
        f"fuzz: {operations} operations x {len(tallies)} auth modes, {requests:,} requests "
        f"in {seconds:.1f} s: {modes}; answers {classes}"
    )


class FuzzSummary:
    """A pytest plugin, registered by the test, that repeats its summary at the end of the run:
    a passing test's own output is hidden without `-s`."""

    NAME = "portfolio-fuzz-summary"

    def __init__(self) -> None:
        self.lines: list[str] = []

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_sep("-", "fuzzing")
        for line in self.lines:
            terminalreporter.write_line(line)


def show(config: pytest.Config, line: str) -> None:
    """Print the line, and have pytest repeat it in its closing summary."""
    print(line)  # noqa: T201 (shown with -s)
    plugin = config.pluginmanager.get_plugin(FuzzSummary.NAME)
    if plugin is None:
        plugin = FuzzSummary()
        config.pluginmanager.register(plugin, FuzzSummary.NAME)
    plugin.lines.append(line)


@pytest.mark.slow  # a fixed budget of about 45 s
def test_every_operation_answers_as_documented(
    app: FastAPI,
    client: TestClient,
    member: SignedInUser,
    owner: SignedInUser,
    make_user: Callable[..., SignedInUser],
    request: pytest.FixtureRequest,
) -> None:
    started = time.perf_counter()
    # The document is fetched once, here, before any fuzzing (building it from two threads at
    # once is not safe). Anonymous means no Authorization header at all: schemathesis would
    # otherwise make up a token for most requests, and each would stop at its 401.
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=schemathesis.Config())
    schema.config.generation.update(with_security_parameters=False)
    operations = [result.ok() for result in schema.get_all_operations()]
    documented = documented_operations(app.openapi())
    assert {operation.label for operation in operations} == documented
    callers = [
        Caller("anonymous", {}),
        Caller("member", member.headers, signed_in_again(client, make_user, member.email)),
        Caller(
            "owner",
            owner.headers,
            signed_in_again(client, make_user, owner.email, (OWNER_GROUP,)),
            coverage=True,
        ),
        Caller(
            "forged token",
            bearer(forged(member.id_token)),
            examples=FORGED_EXAMPLES_PER_OPERATION,
        ),
    ]
    tallies = {caller.mode: Tally() for caller in callers}
    failures = []

    for caller in callers:
        for operation in operations:
            tally = tallies[caller.mode]
            if caller.coverage:
                failures.append(cover(schema, operation, caller, tally))
                keep_signed_in(client, caller)
            failures.append(fuzz(operation, caller, tally))
            keep_signed_in(client, caller)

    show(request.config, summary(tallies, len(documented), time.perf_counter() - started))
    found = [failure for failure in failures if failure]
    assert not found, f"{len(found)} failed:\n\n" + "\n\n".join(found)
    for mode, tally in tallies.items():
        assert tally.operations == documented, f"{mode} left out {documented - tally.operations}"
    # Each caller the contract knows got past validation and authorisation somewhere.
    for mode in ("anonymous", "member", "owner"):
        assert any(200 <= status < 300 for status in tallies[mode].statuses), mode


# What the fuzzer found, pinned where it was found.


@pytest.mark.parametrize(
    ("method", "path", "caller"),
    [
        ("POST", "/v1/tasks", "member"),
        ("PATCH", "/v1/tasks/01J0000000000000000000000", "member"),
        ("POST", "/v1/blog/posts", "owner"),
        ("PATCH", "/v1/blog/posts/01J0000000000000000000000", "owner"),
    ],
)
def test_tags_that_are_not_text_are_a_400(
    client: TestClient, request: pytest.FixtureRequest, method: str, path: str, caller: str
) -> None:
    """They were a 500: the tag normaliser put `{}` and `[]` in a set (unhashable)."""
    user: SignedInUser = request.getfixturevalue(caller)
    body: dict[str, Any] = {"title": "Fuzzed", "tags": ["ok", {}, []]}
    if path.startswith("/v1/blog"):
        body |= {"content": "x", "category": "c"}
    response = client.request(method, path, json=body, headers=user.headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_error"
    assert {error["field"] for error in response.json()["errors"]} == {"tags[1]", "tags[2]"}


@pytest.mark.parametrize("collection", ["/v1/blog/posts", "/v1/projects", "/v1/certifications"])
def test_an_id_or_slug_over_its_length_is_a_documented_400(
    client: TestClient, app: FastAPI, collection: str
) -> None:
    response = client.get(f"{collection}/{'a' * 129}")
    assert response.status_code == 400
    responses = app.openapi()["paths"][f"{collection}/{{id}}"]["get"]["responses"]
    assert "400" in responses


def test_every_operation_documents_the_answers_any_request_may_get(app: FastAPI) -> None:
    """The body limit (413, before routing) and the last resort (500) concern every operation."""
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            assert {"413", "500"} <= set(operation["responses"]), f"{method} {path}"
