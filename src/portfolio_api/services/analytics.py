"""Visits and views, counted once per visitor per day, with no personal data kept.

A visitor is `HMAC-SHA256(key, salt ‖ purpose ‖ ip ‖ user agent)`, cut to 128 bits:

- the salt is random, rotates every UTC day, is shared by every Lambda through one conditional
  put and expires with its day, so yesterday's hashes cannot be linked to today's;
- the key is derived from the server secret (`CURSOR_SECRET`) and is never stored, so the table
  alone — or a backup of it, salts included — cannot be brute-forced back to an address (IPv4
  times the common user agents is a small space) nor used to recognise a known one;
- the purpose (`visit`, or `view` and the item) keeps a visitor's markers from being joined.

The IP and user agent are used in memory only.
"""

import hashlib
import hmac
import re
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from portfolio_api.analytics.bots import is_bot
from portfolio_api.core.clock import Clock
from portfolio_api.core.errors import NotFound, ValidationFailed
from portfolio_api.core.security import Principal
from portfolio_api.observability.metrics import count
from portfolio_api.observability.names import Metric, NotCountedReason
from portfolio_api.repositories.analytics import (
    PRODUCT_TYPE,
    TOP_VIEWS,
    VIEWS_ATTRIBUTE,
    AlreadyCounted,
    AnalyticsRepository,
    NotCountable,
)
from portfolio_api.repositories.base import Item
from portfolio_api.schemas.analytics import (
    ContentViews,
    PathFigure,
    ReferrerFigure,
    Summary,
    TopContent,
    TopItem,
    TrendPoint,
    Trends,
    ViewFigures,
    ViewsTotal,
    VisitorCount,
    VisitorFigures,
)

MAX_DAILY_POINTS = 366
MAX_MONTHLY_POINTS = 60
SUMMARY_TOP = 10
SUMMARY_WINDOW_DAYS = 7  # top paths and referrers: the last 7 days (14 Queries)
_VISITOR_KEY_PURPOSE = b"visitor-hash"


def visitor_hash_key(secret: bytes) -> bytes:
    """Visitor hashes get a key of their own: the cursor MAC key never doubles as it."""
    return hmac.new(secret, _VISITOR_KEY_PURPOSE, hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class Visitor:
    """What a request says about who makes it; only the hash outlives the request."""

    ip: str
    user_agent: str | None
    do_not_track: bool
    principal: Principal | None


@dataclass(frozen=True, slots=True)
class CountingRules:
    """Which requests are not counted; each rule can be switched off in settings."""

    skip_bots: bool = True
    honour_privacy_signals: bool = True
    skip_owner: bool = True


class AnalyticsService:
    """Tracking, views and the reports over them."""

    def __init__(
        self,
        repository: AnalyticsRepository,
        clock: Clock,
        rules: CountingRules,
        visitor_key: bytes,
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._rules = rules
        self._visitor_key = visitor_key  # see `visitor_hash_key`; never stored or logged
        self._salts: dict[str, str] = {}

    def forget_salts(self) -> None:
        """Drop the salts held in memory: after a SnapStart restore the day may have changed."""
        self._salts = {}

    # counting

    def track(self, visitor: Visitor, path: str, referrer: str | None) -> bool:
        """Count a visit once per visitor per UTC day; False when not counted (and why, as a
        metric)."""
        if (reason := self._excluded(visitor)) is not None:
            count(Metric.VISITS_NOT_COUNTED, reason)
            return False
        now = self._clock()
        day, month = _day(now), now.strftime("%Y-%m")
        try:
            self._repository.count_visit(
                day=day,
                month=month,
                visitor=self._hash(day, visitor, "visit"),
                expires_at=_end_of_day(now),
                path=_page_path(path),
                host=_host(referrer),
            )
        except AlreadyCounted:
            count(Metric.VISITS_NOT_COUNTED, NotCountedReason.REPEAT)
            return False
        count(Metric.VISITS_COUNTED)
        return True

    def count_view(self, visitor: Visitor, content_type: str, content_id: str) -> bool:
        """Count a view once per visitor, content and UTC day; 404 for nothing countable."""
        if self._excluded(visitor) is not None:
            item = self._repository.countable_item(content_type, content_id)
            if not self._countable(content_type, item):
                raise _no_content()
            return False
        now = self._clock()
        day = _day(now)
        try:
            self._repository.count_view(
                day=day,
                content_type=content_type,
                content_id=content_id,
                visitor=self._hash(day, visitor, f"view\n{content_type}\n{content_id}"),
                expires_at=_end_of_day(now),
            )
        except NotCountable:
            raise _no_content() from None
        except AlreadyCounted:
            return False
        count(Metric.CONTENT_VIEWS_COUNTED)
        return True

    # reports

    def visitor_count(self) -> VisitorCount:
        """All-time and today's visitors, in one read."""
        total, today = self._repository.visitor_counts(_day(self._clock()))
        return VisitorCount(total=total, today=today)

    def views_total(self) -> ViewsTotal:
        """All counted views."""
        return ViewsTotal(total=self._repository.views_total())

    def views_of(self, content_type: str, content_id: str) -> ContentViews:
        """A published item's (or active product's) view count, read from the item itself."""
        item = self._repository.countable_item(content_type, content_id)
        if not self._countable(content_type, item):
            raise _no_content()
        assert item is not None
        return ContentViews.model_validate(
            {
                "contentType": content_type,
                "contentId": content_id,
                "views": int(item.get(VIEWS_ATTRIBUTE, 0)),
            }
        )

    def trends(self, period: str, start: date, end: date) -> Trends:
        """Every day or month of the range, zeros included, from one Query."""
        if start > end:
            raise _range_error("from must not be after to")
        if period == "daily":
            days = (end - start).days + 1
            if days > MAX_DAILY_POINTS:
                raise _range_error(f"at most {MAX_DAILY_POINTS} days")
            buckets = [(start + timedelta(days=n)).isoformat() for n in range(days)]
            counts = self._repository.daily_visitors(buckets[0], buckets[-1])
        else:
            months = (end.year - start.year) * 12 + end.month - start.month + 1
            if months > MAX_MONTHLY_POINTS:
                raise _range_error(f"at most {MAX_MONTHLY_POINTS} months")
            buckets = [_add_months(start, n) for n in range(months)]
            counts = self._repository.monthly_visitors(buckets[0], buckets[-1])
        return Trends(
            period=period,
            points=[TrendPoint(date=b, visitors=counts.get(b, 0)) for b in buckets],
        )

    def top(self, content_type: str | None, limit: int) -> TopContent:
        """The most viewed published content (and active products), one Query."""
        return TopContent(
            items=[_top_item(i) for i in self._repository.top(content_type or "all", limit)]
        )

    def summary(self) -> Summary:
        """The owner's overview in 18 calls: 1 BatchGetItem, 3 Queries, and 14 for the last
        7 days' paths and referrers (a day's paths past 1 MB take more; see DYNAMODB-DESIGN.md)."""
        today = self._clock().date()
        month_ago = today - timedelta(days=29)
        week_ago = today - timedelta(days=6)
        visitors_total, views_total = self._repository.totals()
        visitors = self._repository.daily_visitors(month_ago.isoformat(), today.isoformat())
        views = self._repository.daily_views(month_ago.isoformat(), today.isoformat())
        paths: Counter[str] = Counter()
        referrers: Counter[str] = Counter()
        for n in range(SUMMARY_WINDOW_DAYS):
            day = (today - timedelta(days=n)).isoformat()
            paths.update(self._repository.paths_of(day))
            referrers.update(self._repository.referrers_of(day))
        week = {(week_ago + timedelta(days=n)).isoformat() for n in range(7)}
        return Summary(
            visitors=VisitorFigures(
                total=visitors_total,
                today=visitors.get(today.isoformat(), 0),
                last7_days=sum(v for d, v in visitors.items() if d in week),
                last30_days=sum(visitors.values()),
            ),
            views=ViewFigures(
                total=views_total,
                last7_days=sum(v for d, v in views.items() if d in week),
                last30_days=sum(views.values()),
            ),
            top_content=self.top(None, SUMMARY_TOP).items,
            top_paths=[PathFigure(path=p, visitors=c) for p, c in _most(paths)],
            top_referrers=[ReferrerFigure(referrer=r, visitors=c) for r, c in _most(referrers)],
        )

    # internals

    def _excluded(self, visitor: Visitor) -> NotCountedReason | None:
        """Why the visitor is not counted at all, if a rule says so."""
        if self._rules.skip_bots and is_bot(visitor.user_agent):
            return NotCountedReason.BOT
        if self._rules.honour_privacy_signals and visitor.do_not_track:
            return NotCountedReason.PRIVACY_SIGNAL
        if self._rules.skip_owner and visitor.principal and visitor.principal.is_owner:
            return NotCountedReason.OWNER
        return None

    def _hash(self, day: str, visitor: Visitor, purpose: str) -> str:
        """One-way, keyed and per purpose: without the server's key the table cannot reverse a
        marker, and a visitor's visit and view markers cannot be joined into a trail."""
        salt = self._salts.get(day)
        if salt is None:
            salt = self._repository.claim_salt(
                day, secrets.token_hex(32), _end_of_day(self._clock())
            )
            self._salts = {day: salt}  # yesterday's salt is dropped from memory as well
        material = f"{salt}\n{purpose}\n{visitor.ip}\n{visitor.user_agent or ''}".encode()
        return hmac.new(self._visitor_key, material, hashlib.sha256).hexdigest()[:32]

    @staticmethod
    def _countable(content_type: str, item: Item | None) -> bool:
        if item is None:
            return False
        if content_type == PRODUCT_TYPE:
            return bool(item.get("active"))
        return item.get("status") == "published"


def _top_item(item: Item) -> TopItem:
    return TopItem.model_validate(
        {
            "contentType": item["contentType"],
            "contentId": str(item["contentId"]),
            "title": str(item.get("title", "")),
            "views": int(item.get(TOP_VIEWS, 0)),
        }
    )


def _most(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda e: (-e[1], e[0]))[:SUMMARY_TOP]


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def _end_of_day(moment: datetime) -> int:
    """Salts and markers expire with their UTC day (TTL removes them soon after)."""
    start = datetime.combine(moment.astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
    return int((start + timedelta(days=1)).timestamp())


def _add_months(start: date, months: int) -> str:
    index = start.year * 12 + start.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _page_path(path: str) -> str:
    """The path as counted, cut at the first `?` or `#`: a query or fragment may hold tokens.

    Not `urlsplit`, which would read `//evil.example/z` as a host and count only `/z`.
    """
    return re.split(r"[?#]", path, maxsplit=1)[0]


def _host(referrer: str | None) -> str | None:
    if not referrer:
        return None
    return (urlsplit(referrer).hostname or "").lower() or None


def _range_error(message: str) -> ValidationFailed:
    return ValidationFailed(
        f"The date range is not valid: {message}.", errors=[{"field": "to", "message": message}]
    )


def _no_content() -> NotFound:
    return NotFound("No such published content.")
