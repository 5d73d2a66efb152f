"""The bot filter against the crawler-user-agents data set, real browsers and our own additions."""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from portfolio_api.analytics import bots
from portfolio_api.analytics.bots import is_bot


def _data_set() -> list[dict[str, object]]:
    spec = importlib.util.find_spec("crawleruseragents")
    assert spec is not None and spec.origin is not None
    entries: list[dict[str, object]] = json.loads(
        Path(spec.origin).with_name("crawler-user-agents.json").read_bytes()
    )
    return entries


BROWSERS = [
    # desktop Chrome, Edge, Firefox, Safari, Opera, Brave (Brave sends Chrome's user agent)
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/139.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/138.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/139.0.0.0 Safari/537.36 Edg/139.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:143.0) Gecko/20100101 Firefox/143.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:143.0) Gecko/20100101 Firefox/143.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36 OPR/124.0.0.0",
    # iPhone and iPad: Safari, Chrome (CriOS), Firefox (FxiOS)
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) CriOS/140.0.7339.101 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) FxiOS/143.0 Mobile/15E148 Safari/605.1.15",
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
    # Android Chrome on Pixel, Samsung, Xiaomi, CUBOT phones (CUBOT phones are browsers)
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.122 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; 2201117TG Build/TKQ1.221114.001) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/116.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; Redmi Note 11) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/118.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 11; CUBOT_NOTE_20_PRO Build/RP1A.200720.011) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 6.0; CUBOT) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/96.0 Mobile Safari/537.36",
    # Samsung Internet, Firefox for Android, Opera Mobile, MIUI's browser
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Android 14; Mobile; rv:143.0) Gecko/143.0 Firefox/143.0",
    "Mozilla/5.0 (Linux; Android 10; VOG-L29) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36 OPR/79.0.4195.76868",
    "Mozilla/5.0 (Linux; U; Android 12; en-gb; 2201117TG Build/SKQ1.211006.001) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/112.0.5615.136 Mobile "
    "Safari/537.36 XiaoMi/MiuiBrowser/14.6.0-gn",
    # in-app browsers: a person reading a link shared in Instagram, Facebook, Pinterest, LinkedIn
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 Instagram 339.0.3.12.91 (iPhone14,5; iOS 17_5; en_US; "
    "en; scale=3.00; 1170x2532; 620264160)",
    "Mozilla/5.0 (Linux; Android 14; SM-A546B Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/128.0.6613.146 Mobile Safari/537.36 "
    "[FB_IAB/FB4A;FBAV/480.0.0.51.109;]",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/478.0.0.45.109;FBBV/641139532;"
    "FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.6;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36 [Pinterest/Android]",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.30.1544",
]
# Not people: clients the data set does not list, and a few it does that our list had by name.
OWN_ADDITIONS = [
    "",
    "   ",
    None,
    "curl/8.5.0",
    "PycURL/7.45.2 libcurl/8.4.0 OpenSSL/3.0.13",
    "python-requests/2.32.3",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/140.0.0.0 Safari/537.36",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "node",  # Node's built-in fetch
    "undici",  # the fetch of the undici package, which Node's is built from
    "Go-http-client/1.1",
    "Go-http-client/2.0",
    "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.22631; en-US) PowerShell/7.4.6",
    "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.22621.4391",
    "Ruby",  # Net::HTTP
    "Deno/2.1.4",
    "Bun/1.1.38",
    "Java/17.0.2",
    "Java-http-client/21.0.1",
    "Dart/3.5 (dart:io)",
    "PostmanRuntime/7.42.0",
    "insomnia/10.1.1",
    "NewRelicPinger/1.0 (12345)",
    "Mozilla/5.0 (compatible; Google Page Speed Insights)",
    # names on our list before, now left to the data set
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36 Chrome-Lighthouse",
    "Mozilla/5.0 (compatible; YandexMetrika/2.0; +http://yandex.com/bots)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 DatadogSynthetics",
    "Screaming Frog SEO Spider/20.0",
    # crawlers the data set does not name: the word `bot` and the crawler words
    "ExampleBot_v2 (compatible)",
    "Mozilla/5.0 (compatible; NewThingBot/1.0; +https://example.com/bot)",
    "SomeCrawler/1.0",
    "link-preview-generator/2.1",
    # crawlers by name, as the list before the data set had them
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/140.0 Safari/537.36",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "UptimeRobot/2.0",
    "Mozilla/5.0 (compatible; Mail.RU_Bot/2.0; +https://help.mail.ru/webmaster/robots)",
    # each of these is matched by its own token, not by a URL it happens to carry
    "meta-externalagent/1.1",
    "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)",
    "Wget",
    "Wget/1.21.4",
    "Qwantify/2.4w",
    "Mozilla/5.0 (compatible; Qwantify/2.4w; +https://www.qwant.com/)/2.4w",
    "Barkrowler/0.9",
    "Mozilla/5.0 (compatible; Barkrowler/0.9; +https://babbar.tech/crawler)",
]


def test_every_example_of_the_data_set_is_a_bot() -> None:
    """Each entry's `instances` are user agents its `pattern` is meant to match; the few its own
    pattern would not match (none in 1.67.0) are the data set's concern, not ours."""
    examples = [
        str(instance)
        for entry in _data_set()
        for instance in entry["instances"]  # type: ignore[attr-defined]
        if re.search(str(entry["pattern"]), str(instance))
    ]
    assert len(examples) > 2000
    assert [example for example in examples if not is_bot(example)] == []


def test_every_pattern_of_the_data_set_is_compiled() -> None:
    """Each pattern that is a plain name is recognised by its own text: none lost on the way."""
    names = [name for entry in _data_set() if (name := bots._plain(str(entry["pattern"])))]
    assert len(names) > 1400
    _, data_set = bots._matchers()  # not our own patterns, which would catch most `…bot/` names
    assert [name for name in names if not any(pattern.search(name) for pattern in data_set)] == []


def test_strings_are_matched_as_they_are() -> None:
    strings = re.compile(bots._strings(["Googlebot/", "Google", "bing", "b.d", "a+", "z"]))
    for text in ["x Google y", "Googlebot/2.1", "bingbot", "(b.d)", "a+", "z"]:
        assert strings.search(text), text
    for text in ["Goog", "BING", "bxd", "aa", "Z", ""]:
        assert not strings.search(text), text


def test_no_patterns_match_nothing() -> None:
    """A data set without plain names or without regexes must not make every visitor a bot."""
    assert not re.search(bots._strings([]), "Mozilla/5.0")
    assert not re.search(bots._any([]), "Mozilla/5.0")


def test_the_data_set_is_matched_case_sensitively() -> None:
    """As the data set intends (`[wW]get`, `S[eE][mM]rushBot`): its names are spelt as the crawlers
    send them, and in another case they might be a word of a browser's user agent."""
    _, data_set = bots._matchers()
    for agent, bot in [("CCBot/2.0", True), ("ccbot/2.0", False), ("SemrushBot", True)]:
        assert any(pattern.search(agent) for pattern in data_set) is bot, agent
    assert not any(pattern.search("semrushbot") for pattern in data_set)


@pytest.mark.parametrize("agent", BROWSERS)
def test_real_browsers_are_counted(agent: str) -> None:
    assert is_bot(agent) is False


@pytest.mark.parametrize("agent", OWN_ADDITIONS)
def test_own_additions_are_bots(agent: str | None) -> None:
    assert is_bot(agent) is True


def test_nothing_is_read_or_compiled_at_import() -> None:
    """A cold start that counts no visit must not pay for the data set; `prepare()` pays early."""
    script = (
        "import sys\n"
        "from portfolio_api.analytics import bots\n"
        "assert bots._matchers.cache_info().currsize == 0\n"
        "assert 'crawleruseragents' not in sys.modules\n"
        "bots.prepare()\n"
        "assert bots._matchers.cache_info().currsize == 1\n"
        "assert 'crawleruseragents' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
