"""Known bots and crawlers by user agent; their requests are answered and never counted.

The patterns are lower-case substrings, kept in step with the common crawler lists (search
engines, SEO and social-preview fetchers, monitoring, headless browsers, HTTP libraries).
A request with no user agent at all is treated as a bot too: browsers always send one.
"""

import re

BOT_TOKENS: tuple[str, ...] = (
    # generic words ("bot" itself is matched as a word, below, so CUBOT phones are browsers)
    "crawl", "spider", "slurp", "scrap", "fetch", "preview", "archiver", "indexer",
    "monitor", "checker", "validator", "scan", "probe",
    # search engines and AI crawlers
    "googlebot", "bingbot", "yandex", "baiduspider", "duckduckbot", "applebot", "petalbot",
    "sogou", "exabot", "seznambot", "gptbot", "chatgpt-user", "claudebot", "anthropic-ai",
    "ccbot", "perplexitybot", "bytespider", "amazonbot", "google-extended", "cohere-ai",
    "meta-externalagent", "qwantify",
    # SEO tools
    "ahrefs", "semrush", "mj12bot", "dotbot", "rogerbot", "screaming frog", "serpstat",
    "barkrowler",
    # social previews and messengers
    "facebookexternalhit", "facebookcatalog", "twitterbot", "linkedinbot", "slackbot",
    "discordbot", "telegrambot", "whatsapp", "skypeuripreview", "pinterestbot", "redditbot",
    "embedly", "quora link preview", "vkshare", "mastodon",
    # uptime and performance monitors
    "pingdom", "uptimerobot", "statuscake", "site24x7", "newrelicpinger", "datadog",
    "lighthouse", "pagespeed", "gtmetrix",
    # headless browsers and HTTP libraries
    "headlesschrome", "phantomjs", "puppeteer", "playwright", "selenium", "curl/", "wget",
    "python-requests", "python-urllib", "aiohttp", "httpx", "go-http-client", "java/",
    "okhttp", "libwww-perl", "apache-httpclient", "node-fetch", "axios/", "postmanruntime",
    "insomnia", "httpie",
)  # fmt: skip

# `…bot/1.0`, `…bot-…`, `…bot_…`, `…bot;`, `…bot)` or the word `bot`: how crawlers name
# themselves; but not `CUBOT…`, a phone brand (`CUBOT_X30`, `CUBOT P30`).
_BOT_WORD = r"(?<!cu)bot(?:[/\-_;)]|$)|\bbot\b"
_BOT = re.compile("|".join([_BOT_WORD, *(re.escape(token) for token in BOT_TOKENS)]))


def is_bot(user_agent: str | None) -> bool:
    """Whether a user agent belongs to a bot, crawler or non-browser client."""
    if not user_agent or not user_agent.strip():
        return True
    return _BOT.search(user_agent.lower()) is not None
