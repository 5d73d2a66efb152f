"""Who is counted and by which address: pure rules, no network."""

import pytest

from portfolio_api.analytics.bots import is_bot
from portfolio_api.analytics.client_ip import client_ip

BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36 [Pinterest/Android]",
    "Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 11; CUBOT_NOTE_20_PRO Build/RP1A.200720.011) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 6.0; CUBOT) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/96.0 Mobile Safari/537.36",
]
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/140.0 Safari/537.36",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "UptimeRobot/2.0",
    "Mozilla/5.0 (compatible; Mail.RU_Bot/2.0; +https://help.mail.ru/webmaster/robots)",
    "ExampleBot_v2 (compatible)",  # `bot_` is still a bot; only CUBOT is not
    # each of these is matched by its own token, not by a URL it happens to carry
    "meta-externalagent/1.1",
    "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)",
    "Wget",
    "Wget/1.21.4",
    "Qwantify/2.4w",
    "Mozilla/5.0 (compatible; Qwantify/2.4w; +https://www.qwant.com/)/2.4w",
    "Barkrowler/0.9",
    "Mozilla/5.0 (compatible; Barkrowler/0.9; +https://babbar.tech/crawler)",
    "",
    None,
]


@pytest.mark.parametrize("agent", BROWSERS)
def test_browsers_are_not_bots(agent: str) -> None:
    assert is_bot(agent) is False


@pytest.mark.parametrize("agent", BOTS)
def test_bots_are_recognised(agent: str | None) -> None:
    assert is_bot(agent) is True


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
