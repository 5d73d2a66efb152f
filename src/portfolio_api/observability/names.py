"""Every metric the app emits, declared once: the template's dashboard and alarms name these,
and a test holds them to this module (tests/infra/test_observability_template.py).

Dimensions carry no personal data: the stack, its environment and, for visits not counted, why.
The stack's name keeps two stacks of one account and region apart (two dev stacks, say).
"""

from enum import StrEnum

NAMESPACE = "PortfolioApi"
STACK = "Stack"  # on every metric: the CloudFormation stack's name (`STACK_NAME`)
ENVIRONMENT = "Environment"  # on every metric: the stack's `Environment` parameter (dev, prod)
REASON = "Reason"  # on `VisitsNotCounted` only


class Metric(StrEnum):
    """A business metric: a count per invocation, unit Count."""

    VISITS_COUNTED = "VisitsCounted"
    VISITS_NOT_COUNTED = "VisitsNotCounted"
    CONTENT_VIEWS_COUNTED = "ContentViewsCounted"
    SIGN_UPS = "SignUps"
    LOGINS_SUCCEEDED = "LoginsSucceeded"
    LOGINS_FAILED = "LoginsFailed"
    IDEMPOTENT_REPLAYS = "IdempotentReplays"


class NotCountedReason(StrEnum):
    """Why a visit was not counted: the `Reason` dimension's values."""

    BOT = "bot"
    PRIVACY_SIGNAL = "privacy"
    OWNER = "owner"
    REPEAT = "repeat"  # the visitor was counted already today


DIMENSIONS: dict[Metric, tuple[str, ...]] = {
    metric: (STACK, ENVIRONMENT, REASON)
    if metric is Metric.VISITS_NOT_COUNTED
    else (STACK, ENVIRONMENT)
    for metric in Metric
}
"""Each metric's dimension names, as the dashboard and alarms must name them."""
