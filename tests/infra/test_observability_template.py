"""template.yaml's dashboard, alarms and saved queries against what they name.

A widget or an alarm on a metric nobody emits shows nothing and never fires, and a saved query on
a field the app does not log finds nothing, all without an error anywhere. So every metric here is
held to what AWS emits for these resources or to the app's own declaration
(portfolio_api.observability.names), every alarm threshold to the seed design, and every query to
the fields of the app's access line (core/middleware.py) and of Lambda's platform lines.
"""

import json
import re
from typing import Any

import pytest

from portfolio_api.observability.names import (
    DIMENSIONS,
    ENVIRONMENT,
    NAMESPACE,
    REASON,
    STACK,
    Metric,
    NotCountedReason,
)
from tests.infra.test_template import ITEM_ACTIONS, resource, template

# The resources' dimension values, as `_substituted` writes the template's !Sub strings.
API = {"ApiName": "<AWS::StackName>-api", "Stage": "<Environment>"}
FUNCTION = {"FunctionName": "<ApiFunction>"}
TABLE = {"TableName": "<PortfolioTable>"}
# ConditionCheckItem is only ever part of TransactWriteItems, which DynamoDB reports instead.
OPERATIONS = {action.split(":", 1)[1] for action in ITEM_ACTIONS} - {"ConditionCheckItem"}

# What AWS emits for these resources (AWS/ApiGateway stage metrics without detailed metrics,
# AWS/Lambda per function, AWS/DynamoDB per table), each with the dimension names it is
# reported under (the API Gateway, Lambda and DynamoDB developer guides' metrics pages:
# api-gateway-metrics-and-dimensions.html, monitoring-metrics-types.html, metrics-dimensions.html).
AWS_METRICS: dict[str, dict[str, frozenset[str]]] = {
    "AWS/ApiGateway": dict.fromkeys(
        ("Count", "4XXError", "5XXError", "Latency", "IntegrationLatency"), frozenset(API)
    ),
    "AWS/Lambda": dict.fromkeys(
        ("Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"),
        frozenset(FUNCTION),
    ),
    "AWS/DynamoDB": dict.fromkeys(
        (
            "ConsumedReadCapacityUnits",
            "ConsumedWriteCapacityUnits",
            "ReadThrottleEvents",
            "WriteThrottleEvents",
            "TransactionConflict",
        ),
        frozenset(TABLE),
    )
    | dict.fromkeys(("ThrottledRequests", "SystemErrors"), frozenset({*TABLE, "Operation"})),
}
DIMENSION_VALUES: dict[str, set[str]] = {
    **{name: {value} for name, value in (API | FUNCTION | TABLE).items()},
    "Operation": OPERATIONS,
    ENVIRONMENT: {"<Environment>"},
    STACK: {"<AWS::StackName>"},
    REASON: {reason.value for reason in NotCountedReason},
}

Dimensions = dict[str, str]
OURS: Dimensions = {STACK: "<AWS::StackName>", ENVIRONMENT: "<Environment>"}
Named = tuple[str, str, Dimensions, str]  # namespace, metric, dimensions, where


def _substituted(text: str) -> str:
    """A !Sub string with each `${Name}` as `<Name>`, a Number parameter as its default (the
    dashboard writes thresholds as JSON numbers)."""
    parameters = template()["Parameters"]

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        declared = parameters.get(name, {})
        return str(declared["Default"]) if declared.get("Type") == "Number" else f"<{name}>"

    return re.sub(r"\$\{([^}]+)\}", value, text)


def _text(value: Any) -> str:
    """A dimension value of an alarm (`!Ref X`, `!Sub "..."`) as `_substituted` writes it."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        return _substituted(value["Fn::Sub"])
    assert isinstance(value, str), value
    return value


def dashboard() -> dict[str, Any]:
    """The dashboard's body, parsed as CloudWatch will once CloudFormation substitutes it."""
    body = resource("Dashboard", "AWS::CloudWatch::Dashboard")["DashboardBody"]["Fn::Sub"]
    parsed: dict[str, Any] = json.loads(_substituted(body))
    return parsed


def _widgets(kind: str) -> list[dict[str, Any]]:
    return [widget["properties"] for widget in dashboard()["widgets"] if widget["type"] == kind]


def _dashboard_metrics() -> list[Named]:
    """Every metric of a metric widget (expressions left out: they name metrics by id)."""
    found = []
    for widget in _widgets("metric"):
        for row in widget["metrics"]:
            items = row[:-1] if isinstance(row[-1], dict) else row
            if not items:
                assert "expression" in row[-1], row
                continue
            # No `...` shorthand: each row names its namespace, metric and dimensions itself.
            namespace, name, *pairs = items
            assert len(pairs) % 2 == 0, row
            found.append(
                (namespace, name, dict(zip(pairs[::2], pairs[1::2], strict=True)), widget["title"])
            )
    return found


def _alarms() -> dict[str, dict[str, Any]]:
    return {
        name: item["Properties"]
        for name, item in template()["Resources"].items()
        if item["Type"] == "AWS::CloudWatch::Alarm"
    }


def _alarm_metrics(name: str, alarm: dict[str, Any]) -> list[Named]:
    if "MetricName" in alarm:
        specs = [alarm]
    else:
        specs = [
            query["MetricStat"]["Metric"] for query in alarm["Metrics"] if "MetricStat" in query
        ]
    return [
        (
            spec["Namespace"],
            spec["MetricName"],
            {item["Name"]: _text(item["Value"]) for item in spec.get("Dimensions", [])},
            name,
        )
        for spec in specs
    ]


def _all_alarm_metrics() -> list[Named]:
    return [named for name, alarm in _alarms().items() for named in _alarm_metrics(name, alarm)]


def metric_problems(namespace: str, name: str, dimensions: Dimensions) -> list[str]:
    """Why no one emits this metric with these dimensions (empty when someone does)."""
    if namespace == NAMESPACE:
        if name not in {metric.value for metric in Metric}:
            return [f"{namespace} {name}: not a Metric of portfolio_api.observability.names"]
        expected = frozenset(DIMENSIONS[Metric(name)])
    elif name in AWS_METRICS.get(namespace, {}):
        expected = AWS_METRICS[namespace][name]
    else:
        return [f"{namespace} {name}: not a metric AWS emits for these resources"]
    if set(dimensions) != expected:
        return [f"{namespace} {name}: dimensions {sorted(dimensions)}, not {sorted(expected)}"]
    return [
        f"{namespace} {name}: {key}={value!r}"
        for key, value in dimensions.items()
        if value not in DIMENSION_VALUES[key]
    ]


# --- Metrics -----------------------------------------------------------------------------------


def test_every_metric_named_is_one_that_is_emitted() -> None:
    named = _dashboard_metrics() + _all_alarm_metrics()
    assert len(_dashboard_metrics()) > 20 and len(_all_alarm_metrics()) > 10
    problems = [
        f"{where}: {problem}"
        for namespace, name, dimensions, where in named
        for problem in metric_problems(namespace, name, dimensions)
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("namespace", "name", "dimensions"),
    [
        # A typo, a metric API Gateway emits only with detailed metrics by method, one of
        # another resource, a business metric missing its Reason, and one from another stage.
        ("AWS/ApiGateway", "5xxError", API),
        ("AWS/ApiGateway", "Count", API | {"Method": "GET", "Resource": "/health"}),
        ("AWS/Lambda", "Errors", {"FunctionName": "<OtherFunction>"}),
        ("AWS/Lambda", "IteratorAge", FUNCTION),
        ("AWS/DynamoDB", "ThrottledRequests", TABLE),
        (NAMESPACE, Metric.VISITS_NOT_COUNTED.value, OURS),
        (NAMESPACE, Metric.SIGN_UPS.value, {**OURS, ENVIRONMENT: "prod"}),
        (NAMESPACE, Metric.SIGN_UPS.value, {ENVIRONMENT: "<Environment>"}),  # no Stack
        (NAMESPACE, Metric.SIGN_UPS.value, {**OURS, STACK: "other-stack"}),
        (NAMESPACE, "Visits", OURS),
        ("PortfolioAPI", Metric.SIGN_UPS.value, OURS),
    ],
)
def test_the_metric_check_bites(namespace: str, name: str, dimensions: Dimensions) -> None:
    assert metric_problems(namespace, name, dimensions) != []


def test_the_dashboard_shows_every_business_metric_and_every_reason() -> None:
    business = [item for item in _dashboard_metrics() if item[0] == NAMESPACE]
    assert {name for _, name, _, _ in business} == {metric.value for metric in Metric}
    reasons = {
        dimensions[REASON]
        for _, name, dimensions, _ in business
        if name == Metric.VISITS_NOT_COUNTED
    }
    assert reasons == {reason.value for reason in NotCountedReason}


def _stats(namespace: str, name: str) -> set[str]:
    """The statistics the dashboard shows a metric with (a widget's own `stat` as default)."""
    found: set[str] = set()
    for widget in _widgets("metric"):
        for row in widget["metrics"]:
            if row[:2] == [namespace, name]:
                options = row[-1] if isinstance(row[-1], dict) else {}
                found.add(str(options.get("stat", widget.get("stat"))))
    return found


@pytest.mark.parametrize(
    ("namespace", "name", "stats"),
    [
        ("AWS/ApiGateway", "Count", {"Sum"}),
        ("AWS/ApiGateway", "Latency", {"p50", "p99"}),
        ("AWS/Lambda", "Invocations", {"Sum"}),
        ("AWS/Lambda", "Errors", {"Sum"}),
        ("AWS/Lambda", "Throttles", {"Sum"}),
        ("AWS/Lambda", "Duration", {"p50", "p99"}),
        ("AWS/DynamoDB", "ConsumedReadCapacityUnits", {"Sum"}),
        ("AWS/DynamoDB", "ConsumedWriteCapacityUnits", {"Sum"}),
        ("AWS/DynamoDB", "ThrottledRequests", {"Sum"}),
        ("AWS/DynamoDB", "TransactionConflict", {"Sum"}),
    ],
)
def test_the_dashboard_shows_the_services(namespace: str, name: str, stats: set[str]) -> None:
    assert stats <= _stats(namespace, name)


def test_the_dashboard_shows_api_error_rates_not_counts() -> None:
    expressions = [
        row[0]["expression"]
        for widget in _widgets("metric")
        for row in widget["metrics"]
        if "expression" in row[0]
    ]
    ids = {
        row[-1]["id"]: row[1]
        for widget in _widgets("metric")
        for row in widget["metrics"]
        if row[0] == "AWS/ApiGateway" and "id" in row[-1]
    }
    rates = {
        (ids[requests], ids[errors])
        for requests, errors in map(_guarded_rate, expressions)
        if requests is not None and errors is not None
    }
    assert rates == {("Count", "4XXError"), ("Count", "5XXError")}
    # The figures behind a rate are hidden: the widget shows percentages only.
    for widget in _widgets("metric"):
        for row in widget["metrics"]:
            if row[:2] in (["AWS/ApiGateway", "4XXError"], ["AWS/ApiGateway", "5XXError"]):
                assert row[-1]["visible"] is False


def test_the_dashboard_is_on_by_default_and_can_be_turned_off() -> None:
    item = template()["Resources"]["Dashboard"]
    assert item["Condition"] == "DashboardOn"
    assert template()["Conditions"]["DashboardOn"] == {
        "Fn::Equals": [{"Ref": "EnableDashboard"}, "true"]
    }
    parameter = template()["Parameters"]["EnableDashboard"]
    assert parameter["AllowedValues"] == ["true", "false"]
    assert parameter["Default"] == "true"
    # Nothing else may refer to it unconditionally, or a stack without it would not deploy.
    for name, output in template()["Outputs"].items():
        if "${Dashboard}" in json.dumps(output["Value"]):
            assert output.get("Condition") == "DashboardOn", name
    others = {key: value for key, value in template()["Resources"].items() if key != "Dashboard"}
    assert '"Dashboard"' not in json.dumps(others)
    assert "${Dashboard}" not in json.dumps(others)


def test_the_dashboard_shows_every_alarm() -> None:
    (widget,) = _widgets("alarm")
    assert set(widget["alarms"]) == {f"<{name}.Arn>" for name in _alarms()}


# --- Alarms ------------------------------------------------------------------------------------

RATE = re.compile(r"IF\(\s*(\w+)\s*>\s*0\s*,\s*100\s*\*\s*(\w+)\s*/\s*(\w+)\s*,\s*0\s*\)")


def _guarded_rate(expression: str) -> tuple[str, str] | tuple[None, None]:
    """(requests id, errors id) of `IF(requests > 0, 100 * errors / requests, 0)`: a percentage
    that is 0, not a division by zero, in a period without traffic."""
    match = RATE.fullmatch(expression.strip())
    if match is None or match.group(1) != match.group(3):
        return None, None
    return match.group(1), match.group(2)


def test_the_rate_check_bites() -> None:
    assert _guarded_rate("IF(requests > 0, 100 * errors / requests, 0)") == ("requests", "errors")
    assert _guarded_rate("100 * errors / requests") == (None, None)
    assert _guarded_rate("IF(errors > 0, 100 * errors / requests, 0)") == (None, None)
    assert _guarded_rate("IF(requests > 0, errors / requests, 0)") == (None, None)


def _alarm_on(namespace: str, name: str) -> dict[str, Any]:
    """The one alarm that reads this metric (a second one, a raw count, would fail here)."""
    found = [
        alarm
        for alarm_name, alarm in _alarms().items()
        if any(item[:2] == (namespace, name) for item in _alarm_metrics(alarm_name, alarm))
    ]
    assert len(found) == 1, f"one alarm on {namespace} {name}"
    return found[0]


# The seed design: (namespace, metric, comparison, threshold); rates in percent, times in ms.
SEED = [
    ("AWS/ApiGateway", "4XXError", "GreaterThanThreshold", 5),
    ("AWS/ApiGateway", "5XXError", "GreaterThanThreshold", 1),
    ("AWS/Lambda", "Errors", "GreaterThanThreshold", 1),
    ("AWS/ApiGateway", "Latency", "GreaterThanThreshold", 2000),
    ("AWS/Lambda", "Duration", "GreaterThanThreshold", 10000),
    ("AWS/Lambda", "Throttles", "GreaterThanOrEqualToThreshold", 1),
    ("AWS/DynamoDB", "ThrottledRequests", "GreaterThanOrEqualToThreshold", 1),
]


@pytest.mark.parametrize(("namespace", "name", "comparison", "seed"), SEED)
def test_each_threshold_is_a_parameter_defaulting_to_the_seed(
    namespace: str, name: str, comparison: str, seed: int
) -> None:
    alarm = _alarm_on(namespace, name)
    assert alarm["ComparisonOperator"] == comparison
    assert alarm["TreatMissingData"] == "notBreaching"
    parameter = template()["Parameters"][alarm["Threshold"]["Ref"]]
    assert parameter["Type"] == "Number"
    assert float(parameter["Default"]) == seed


def test_every_alarm_is_one_of_the_seed_design() -> None:
    covered = {id(_alarm_on(namespace, name)) for namespace, name, _, _ in SEED}
    assert covered == {id(alarm) for alarm in _alarms().values()}


@pytest.mark.parametrize(
    ("namespace", "errors", "requests"),
    [
        ("AWS/ApiGateway", "4XXError", "Count"),
        ("AWS/ApiGateway", "5XXError", "Count"),
        ("AWS/Lambda", "Errors", "Invocations"),
    ],
)
def test_rates_are_metric_math_quiet_without_traffic(
    namespace: str, errors: str, requests: str
) -> None:
    alarm = _alarm_on(namespace, errors)
    assert "MetricName" not in alarm, "a rate, not a raw count"
    (returned,) = [query for query in alarm["Metrics"] if query.get("ReturnData")]
    by_id = {
        query["Id"]: query["MetricStat"] for query in alarm["Metrics"] if "MetricStat" in query
    }
    requests_id, errors_id = _guarded_rate(returned["Expression"])
    assert requests_id is not None and errors_id is not None, returned["Expression"]
    assert by_id[requests_id]["Metric"]["MetricName"] == requests
    assert by_id[errors_id]["Metric"]["MetricName"] == errors
    for stat in by_id.values():
        assert (stat["Stat"], stat["Period"]) == ("Sum", 300)
    # No data at all (no deployment traffic yet) is neither a breach nor INSUFFICIENT_DATA.
    assert alarm["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize(
    ("namespace", "name"), [("AWS/ApiGateway", "Latency"), ("AWS/Lambda", "Duration")]
)
def test_times_are_p99(namespace: str, name: str) -> None:
    alarm = _alarm_on(namespace, name)
    assert alarm["ExtendedStatistic"] == "p99"
    assert alarm["Unit"] == "Milliseconds"


# --- Logs Insights -----------------------------------------------------------------------------

# The app's access line (core/middleware.py), and the fields Logs Insights discovers in
# Lambda's own lines (START, END, REPORT).
ACCESS_LINE = {
    "message",
    "method",
    "route",
    "path",
    "status",
    "durationMs",
    "coldStart",
    "code",
    "requestId",
}
LAMBDA_FIELDS = {
    "@timestamp",
    "@message",
    "@logStream",
    "@log",
    "@type",
    "@requestId",
    "@duration",
    "@billedDuration",
    "@initDuration",
    "@memorySize",
    "@maxMemoryUsed",
}
KEYWORDS = {
    "SOURCE",
    "fields",
    "filter",
    "stats",
    "sort",
    "limit",
    "parse",
    "display",
    "by",
    "as",
    "and",
    "or",
    "not",
    "in",
    "like",
    "asc",
    "desc",
}


def fields_read(query: str) -> set[str]:
    """The log fields a query reads: its names, less keywords, functions, literals, and the
    fields it makes itself (`as name`, a regex's `(?<name>...)`)."""
    made = set(re.findall(r"\(\?<(\w+)>", query))
    text = re.sub(r'"[^"]*"|\'[^\']*\'', " ", query)
    text = re.sub(r"/[^/\n]*/", " ", text)
    made |= set(re.findall(r"\bas\s+(\w+)", text))
    names = set(re.findall(r"(?<![\w@.])@?[A-Za-z_]\w*\b(?!\s*\()", text))
    return names - KEYWORDS - made


def test_the_field_check_bites() -> None:
    query = (
        'filter message = "request" and latency > 1 | parse @message /x (?<made>\\d+)/'
        " | stats count(*) as n, pct(durationMs, 99) by bin(1h), route | sort n desc"
    )
    assert fields_read(query) == {"message", "latency", "@message", "durationMs", "route"}


def _queries() -> dict[str, dict[str, Any]]:
    return {
        name: item["Properties"]
        for name, item in template()["Resources"].items()
        if item["Type"] == "AWS::Logs::QueryDefinition"
    }


def _query_named(suffix: str) -> str:
    (found,) = [
        query["QueryString"]
        for query in _queries().values()
        if query["Name"] == {"Fn::Sub": f"${{AWS::StackName}}/{suffix}"}
    ]
    assert isinstance(found, str)
    return found


def test_four_saved_queries_on_the_function_log() -> None:
    queries = _queries()
    assert {query["Name"]["Fn::Sub"] for query in queries.values()} == {
        "${AWS::StackName}/slowest-routes",
        "${AWS::StackName}/errors-by-code",
        "${AWS::StackName}/cold-starts-per-hour",
        "${AWS::StackName}/sign-in-failures",
    }
    group = resource("ApiFunctionLogGroup", "AWS::Logs::LogGroup")
    assert group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${ApiFunction}"}
    for name, query in queries.items():
        assert query["LogGroupNames"] == [{"Ref": "ApiFunctionLogGroup"}], name


def test_queries_read_only_logged_fields() -> None:
    widgets = [widget["query"] for widget in _widgets("log")]
    assert widgets, "the cold-start widget"
    for query in [item["QueryString"] for item in _queries().values()] + widgets:
        assert fields_read(query) <= ACCESS_LINE | LAMBDA_FIELDS, query


def test_each_query_answers_its_question() -> None:
    slowest = _query_named("slowest-routes")
    assert re.search(
        r"pct\(durationMs, 99\) as (\w+).*by method, route.*sort \1 desc", slowest, re.S
    )
    errors = _query_named("errors-by-code")
    assert "status >= 400" in errors and re.search(r"by status, code\b", errors)
    sign_in = _query_named("sign-in-failures")
    assert 'route = "/v1/auth/login"' in sign_in and "status >= 400" in sign_in
    assert re.search(r"by bin\(1h\).*\bcode\b", sign_in, re.S)


def test_cold_starts_count_inits_and_snapstart_restores() -> None:
    """Without SnapStart a cold start's REPORT has `Init Duration` (@initDuration); with it,
    `Restore Duration` instead, which Logs Insights leaves in @message."""
    (widget,) = _widgets("log")
    assert widget["query"].startswith("SOURCE '<ApiFunctionLogGroup>' |")
    for query in (_query_named("cold-starts-per-hour"), widget["query"]):
        assert 'filter @type = "REPORT"' in query
        assert "count(@initDuration)" in query
        restore = r"parse @message /Restore Duration: \(\?<(\w+)>.*count\(\1\)"
        assert re.search(restore, query, re.S)
        assert "by bin(1h)" in query
