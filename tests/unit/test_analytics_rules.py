"""By which address a visitor is counted: pure rules, no network (who is a bot:
test_bot_data_set.py)."""

import pytest

from portfolio_api.analytics.client_ip import client_ip


def test_lambda_source_ip_is_used() -> None:
    scope = {"aws.event": {"requestContext": {"identity": {"sourceIp": "198.51.100.7"}}}}
    assert client_ip(scope, None, 0) == "198.51.100.7"


def test_socket_peer_locally() -> None:
    assert client_ip({"client": ("127.0.0.1", 5000)}, "203.0.113.9", 0) == "127.0.0.1"


@pytest.mark.parametrize(
    ("header", "hops", "expected"),
    [
        ("203.0.113.9", 1, "203.0.113.9"),
        ("6.6.6.6, 203.0.113.9", 1, "203.0.113.9"),  # the client wrote the first entry itself
        ("6.6.6.6, 203.0.113.9, 10.0.0.1", 2, "203.0.113.9"),
        ("203.0.113.9", 2, "127.0.0.1"),  # fewer entries than trusted hops: the peer
    ],
)
def test_forwarded_for_with_trusted_hops(header: str, hops: int, expected: str) -> None:
    assert client_ip({"client": ("127.0.0.1", 1)}, header, hops) == expected
