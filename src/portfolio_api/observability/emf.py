"""On Lambda: the counts as CloudWatch embedded-metric-format lines on stdout, which CloudWatch
turns into metrics without an API call. Written by Powertools' EMF provider, imported on the
first flush, so a request that counts nothing (every read) never loads it."""

from collections import defaultdict

from portfolio_api.observability.metrics import Counted, dimensions_of, in_order
from portfolio_api.observability.names import NAMESPACE, Metric, NotCountedReason


def prepare() -> None:
    """Import the EMF writer now (SnapStart's priming), so no restored process pays for it."""
    import aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch  # noqa: F401


class EmfSink:
    """One EMF line per dimension set an invocation counted under (one, or two when a visit
    was not counted beside another metric)."""

    def __init__(self, stack: str, environment: str) -> None:
        self._stack = stack
        self._environment = environment

    def flush(self, counted: Counted) -> None:
        from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
            AmazonCloudWatchEMFProvider,
        )

        groups: defaultdict[NotCountedReason | None, list[tuple[Metric, int]]] = defaultdict(list)
        for (metric, reason), value in in_order(counted):
            groups[reason].append((metric, value))
        for reason, metrics in groups.items():
            provider = AmazonCloudWatchEMFProvider(namespace=NAMESPACE)
            for name, dimension in dimensions_of(self._stack, self._environment, reason).items():
                provider.add_dimension(name, dimension)
            for metric, value in metrics:
                provider.add_metric(metric.value, "Count", value)
            provider.flush_metrics()
