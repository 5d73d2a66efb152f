"""The process's object graph: clients, repositories and services, each built on first use.

One container per app; the app lives as long as the process (or the Lambda container), so each
piece is made once per process and nothing touches the network at import or start-up. Each
service's module (and its repository's) is imported when the service is first asked for, so a
cold start loads only what its first request uses.
"""

from functools import cached_property
from typing import TYPE_CHECKING

from portfolio_api.core.clock import Clock, system_clock
from portfolio_api.core.pagination import CursorCodec
from portfolio_api.core.security import TokenVerifier, cognito_endpoint, http_jwks_fetcher
from portfolio_api.core.settings import Settings
from portfolio_api.db.client import cognito_client, dynamodb_client

if TYPE_CHECKING:
    from portfolio_api.repositories.analytics import AnalyticsRepository
    from portfolio_api.repositories.tasks import TaskRepository
    from portfolio_api.repositories.users import UserRepository
    from portfolio_api.services.analytics import AnalyticsService
    from portfolio_api.services.auth import AuthService
    from portfolio_api.services.content import ContentService
    from portfolio_api.services.idempotency import IdempotencyService
    from portfolio_api.services.products import ProductService
    from portfolio_api.services.sessions import SessionGuard
    from portfolio_api.services.tasks import TaskService
    from portfolio_api.services.users import UserService


class Container:
    """Lazily built collaborators for one configuration."""

    def __init__(self, settings: Settings, clock: Clock = system_clock) -> None:
        self.settings = settings
        self.clock = clock

    def prepare(self) -> None:
        """Build now what every request needs: the DynamoDB client and the services over it.

        Called at a Lambda's init (with the collector paused) and before a SnapStart snapshot,
        so the first request finds them made. Nothing here touches the network.
        """
        _ = (self.content_service, self.product_service, self.analytics_service)
        _ = (self.token_verifier, self.session_guard)  # built; keys are fetched when asked

    def refresh_after_restore(self) -> None:
        """After a SnapStart restore: the key cache's timers and the day's salts start afresh."""
        self.token_verifier.forget_timers()
        if "analytics_service" in self.__dict__:  # built before the snapshot
            self.analytics_service.forget_salts()

    @cached_property
    def token_verifier(self) -> TokenVerifier:
        """The verifier for this pool; its JWKS cache lives as long as the process."""
        jwks_url = (
            f"{cognito_endpoint(self.settings.region)}/"
            f"{self.settings.cognito_user_pool_id}/.well-known/jwks.json"
        )
        return TokenVerifier(
            issuer=self.settings.issuer,
            client_id=self.settings.cognito_client_id,
            owner_group=self.settings.owner_group,
            fetch_jwks=http_jwks_fetcher(jwks_url),
        )

    @cached_property
    def session_guard(self) -> "SessionGuard":
        """Refuses tokens of ended sessions, and ends sessions."""
        from portfolio_api.repositories.revocations import RevocationRepository
        from portfolio_api.services.sessions import SessionGuard

        repository = RevocationRepository(
            dynamodb_client(self.settings.region), self.settings.dynamodb_table_name
        )
        return SessionGuard(repository, self.clock)

    @cached_property
    def users_repository(self) -> "UserRepository":
        """Profile items."""
        from portfolio_api.repositories.users import UserRepository

        return UserRepository(
            dynamodb_client(self.settings.region), self.settings.dynamodb_table_name
        )

    @cached_property
    def tasks_repository(self) -> "TaskRepository":
        """Task items: the tasks service's, and the profile export's."""
        from portfolio_api.repositories.tasks import TaskRepository

        return TaskRepository(
            dynamodb_client(self.settings.region), self.settings.dynamodb_table_name
        )

    @cached_property
    def auth_service(self) -> "AuthService":
        """Cognito flows."""
        from portfolio_api.services.auth import AuthService

        return AuthService(
            cognito_client(self.settings.region),
            self.users_repository,
            self.session_guard,
            user_pool_id=self.settings.cognito_user_pool_id,
            client_id=self.settings.cognito_client_id,
            allow_signup=self.settings.allow_signup,
            clock=self.clock,
        )

    @cached_property
    def user_service(self) -> "UserService":
        """Profiles, and the member's export (which reads their tasks)."""
        from portfolio_api.services.users import UserService

        return UserService(self.users_repository, self.tasks_repository, self.clock)

    @cached_property
    def content_service(self) -> "ContentService":
        """The three publishable collections."""
        from portfolio_api.repositories.content import ContentRepository
        from portfolio_api.services.content import ContentService

        repository = ContentRepository(
            dynamodb_client(self.settings.region), self.settings.dynamodb_table_name
        )
        return ContentService(repository, self.clock, self.cursors)

    @cached_property
    def cursors(self) -> CursorCodec:
        """Signs and checks every list's cursors."""
        return CursorCodec(self.settings.signing_key)

    @cached_property
    def task_service(self) -> "TaskService":
        """Each user's tasks."""
        from portfolio_api.services.tasks import TaskService

        return TaskService(self.tasks_repository, self.clock, self.cursors)

    @cached_property
    def product_service(self) -> "ProductService":
        """The catalog."""
        from portfolio_api.repositories.products import ProductRepository
        from portfolio_api.services.products import ProductService

        repository = ProductRepository(
            dynamodb_client(self.settings.region), self.settings.dynamodb_table_name
        )
        return ProductService(repository, self.clock, self.cursors)

    @cached_property
    def analytics_repository(self) -> "AnalyticsRepository":
        """The counters, read whole by `portfolio-api export` as well as by the service."""
        from portfolio_api.repositories.analytics import AnalyticsRepository

        return AnalyticsRepository(
            dynamodb_client(self.settings.region), self.settings.dynamodb_table_name
        )

    @cached_property
    def analytics_service(self) -> "AnalyticsService":
        """Visits, views and their reports."""
        from portfolio_api.services.analytics import (
            AnalyticsService,
            CountingRules,
            visitor_hash_key,
        )

        repository = self.analytics_repository
        rules = CountingRules(
            skip_bots=self.settings.analytics_skip_bots,
            honour_privacy_signals=self.settings.analytics_honour_privacy_signals,
            skip_owner=self.settings.analytics_skip_owner,
        )
        visitor_key = visitor_hash_key(self.settings.signing_key)
        return AnalyticsService(repository, self.clock, rules, visitor_key)

    @cached_property
    def idempotency_service(self) -> "IdempotencyService":
        """First responses of keyed creates."""
        from portfolio_api.repositories.idempotency import IdempotencyRepository
        from portfolio_api.services.idempotency import IdempotencyService

        repository = IdempotencyRepository(
            dynamodb_client(self.settings.region), self.settings.dynamodb_table_name
        )
        return IdempotencyService(repository, self.clock, self.settings.signing_key)
