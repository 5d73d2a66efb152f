"""`portfolio-api dev | create-owner | delete-user | reindex`: the local stack, and operator
commands against a deployed stack's pool and table."""

import argparse
import functools
import os
import secrets
import sys
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from portfolio_api.services.content_layout import LayoutUpgrade

DEFAULT_OWNER_EMAIL = "owner@example.com"
DEFAULT_OWNER_PASSWORD = "Portfolio-Owner-1!"  # local stand-in only; printed at start
DEFAULT_WORKERS = 2
APP_IMPORT = "portfolio_api.lambda_handler:app"
"""What each worker imports: the module-level app Lambda serves, built from the environment."""


def _worker_count(text: str) -> int:
    """`--workers`: a whole number of app processes, at least one."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if count < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return count


class ServerOptions(TypedDict):
    """uvicorn's settings that the dev server and the tests' app processes share."""

    proxy_headers: bool
    server_header: bool


SERVER_OPTIONS = ServerOptions(proxy_headers=False, server_header=False)
"""What uvicorn would add on its own, turned off: its trust in `X-Forwarded-For` from 127.0.0.1,
which would let any local script choose the client address visitor counting reads (only
`TRUSTED_PROXY_HOPS` decides that, as on AWS), and its `server: uvicorn` banner."""


def run_dev(host: str, port: int, workers: int = DEFAULT_WORKERS) -> None:
    """Start moto in-process as DynamoDB and Cognito, provision it, then serve the app.

    The app runs in `workers` processes, like as many Lambda containers: each serves one
    request at a time, so a call that stalls holds its own worker only. The stand-in stays in
    this process (with its patches); workers find it, and what was provisioned on it, through
    the environment they inherit.
    """
    from portfolio_api.local.stand_in import running_stand_in

    moto_port = int(os.environ["MOTO_PORT"]) if os.environ.get("MOTO_PORT") else None
    with running_stand_in(moto_port) as endpoint:
        _provision_and_serve(endpoint, host, port, workers)


def _provision_and_serve(endpoint: str, host: str, port: int, workers: int) -> None:
    """Point every AWS setting at the stand-in, provision the stack and its owner, serve."""
    import boto3
    import uvicorn

    from portfolio_api.core.clock import system_clock
    from portfolio_api.core.settings import load_settings
    from portfolio_api.local.stack import OWNER_GROUP, provision
    from portfolio_api.repositories.users import UserRepository
    from portfolio_api.services.owner_setup import ensure_owner

    region = "us-east-1"
    # The dev stack never reaches real AWS: every AWS setting points at the stand-in.
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": region,
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    dynamodb = boto3.client("dynamodb", region_name=region)
    cognito = boto3.client("cognito-idp", region_name=region)
    stack = provision(dynamodb, cognito)
    os.environ.update(
        {
            "DYNAMODB_TABLE_NAME": stack.table_name,
            "COGNITO_USER_POOL_ID": stack.user_pool_id,
            "COGNITO_CLIENT_ID": stack.client_id,
            "COGNITO_REGION": region,
        }
    )
    os.environ.setdefault("ENVIRONMENT", "local")
    os.environ.setdefault("CORS_ALLOW_ORIGINS", "*")
    # Unset, each worker would make up a secret of its own (core/settings.py), and one would
    # refuse another's cursors and count a visitor again. One secret for all, as on AWS.
    os.environ.setdefault("CURSOR_SECRET", secrets.token_urlsafe(32))
    email = os.environ.get("OWNER_EMAIL", DEFAULT_OWNER_EMAIL)
    password = os.environ.get("OWNER_PASSWORD", DEFAULT_OWNER_PASSWORD)
    ensure_owner(
        cognito,
        UserRepository(dynamodb, stack.table_name),
        user_pool_id=stack.user_pool_id,
        email=email,
        password=password,
        owner_group=OWNER_GROUP,
        clock=system_clock,
    )
    load_settings()  # a bad setting fails here, in one line, rather than in every worker
    base = f"http://{host}:{port}"
    print(
        "Portfolio API, local stack (moto stands in for DynamoDB and Cognito, in memory)\n"
        f"  API      {base}/v1   health {base}/health\n"
        f"  Docs     {base}/docs   spec {base}/openapi.json\n"
        f"  Owner    {email} / {password}   (set OWNER_EMAIL / OWNER_PASSWORD to change)\n"
        f"  Pool     {stack.user_pool_id}   client {stack.client_id}   table {stack.table_name}\n"
        f"  Workers  {workers} app {'process' if workers == 1 else 'processes'}, one request at a"
        " time each, like Lambda containers (--workers N)\n"
        "  Sign-up  any confirmation code is accepted by the stand-in",
        flush=True,
    )
    uvicorn.run(
        APP_IMPORT, host=host, port=port, workers=workers, log_level="warning", **SERVER_OPTIONS
    )


def run_create_owner(email: str, password_stdin: bool) -> None:
    """Make or promote the owner in the configured (real) pool."""
    from portfolio_api.core.clock import system_clock
    from portfolio_api.core.settings import load_stack_settings
    from portfolio_api.db.client import cognito_client, dynamodb_client
    from portfolio_api.repositories.users import UserRepository
    from portfolio_api.services.owner_setup import ensure_owner

    settings = load_stack_settings()
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    result = ensure_owner(
        cognito_client(settings.region),
        UserRepository(dynamodb_client(settings.region), settings.dynamodb_table_name),
        user_pool_id=settings.cognito_user_pool_id,
        email=email.lower(),
        password=password,
        owner_group=settings.owner_group,
        clock=system_clock,
    )
    state = "created" if result.created else "already existed; promoted"
    print(f"owner {email} ({result.user_id}) {state}, in group '{settings.owner_group}'")
    if result.created and not password:
        print(
            "Cognito e-mails a temporary password; the first login answers NEW_PASSWORD_REQUIRED."
        )


def run_delete_user(email: str | None, sub: str | None) -> int:
    """Delete a user and every item stored under their `sub` from the configured pool and table."""
    from portfolio_api.core.clock import system_clock
    from portfolio_api.core.settings import load_stack_settings
    from portfolio_api.db.client import cognito_client, dynamodb_client
    from portfolio_api.repositories.revocations import RevocationRepository
    from portfolio_api.repositories.users import UserRepository
    from portfolio_api.services.sessions import SessionGuard
    from portfolio_api.services.user_removal import UnknownUser, delete_user

    settings = load_stack_settings()
    dynamodb, table = dynamodb_client(settings.region), settings.dynamodb_table_name
    try:
        result = delete_user(
            cognito_client(settings.region),
            UserRepository(dynamodb, table),
            SessionGuard(RevocationRepository(dynamodb, table), system_clock),
            user_pool_id=settings.cognito_user_pool_id,
            clock=system_clock,
            email=email.lower() if email else None,
            sub=sub,
        )
    except UnknownUser:
        print(
            f"no user {email} in the pool; to purge the data of a user Cognito no longer "
            "knows, pass --sub <sub>",
            file=sys.stderr,
        )
        return 1
    gone = "deleted from the pool and " if result.cognito_user_deleted else ""
    print(f"user {result.user_id} {gone}purged: {result.items_removed} items removed")
    return 0


def _print_progress(collection: str, run: "LayoutUpgrade") -> None:
    print(f"  {collection}: {run.seen} read, {run.upgraded} rewritten", flush=True)


def run_reindex() -> int:
    """Bring every content item up to the current list layout in the configured table."""
    from portfolio_api.content.collections import ALL_COLLECTIONS
    from portfolio_api.core.settings import load_stack_settings
    from portfolio_api.db.client import dynamodb_client
    from portfolio_api.repositories.content import ContentRepository
    from portfolio_api.services.content_layout import upgrade_list_layout

    settings = load_stack_settings()
    repository = ContentRepository(dynamodb_client(settings.region), settings.dynamodb_table_name)
    failed = 0
    for spec in ALL_COLLECTIONS:
        run = upgrade_list_layout(repository, spec, functools.partial(_print_progress, spec.name))
        print(f"{spec.name}: {run.upgraded} items brought up to the current list layout")
        if run.failed:
            print(f"{spec.name}: still busy, run again for: {' '.join(run.failed)}")
        failed += len(run.failed)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `portfolio-api` console script."""
    from portfolio_api.core.settings import SettingsError

    parser = argparse.ArgumentParser(prog="portfolio-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    dev = commands.add_parser("dev", help="serve the API on an embedded stand-in for AWS")
    dev.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    dev.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    dev.add_argument(
        "--workers",
        type=_worker_count,
        default=DEFAULT_WORKERS,
        metavar="N",
        help="app processes over the one stand-in, each serving one request at a time like a "
        "Lambda container, so a stalled call holds only its own (default: %(default)s)",
    )
    owner = commands.add_parser("create-owner", help="make or promote the owner in the pool")
    owner.add_argument("email")
    owner.add_argument(
        "--password-stdin",
        action="store_true",
        help="read a permanent password from stdin instead of having Cognito e-mail one",
    )
    remove = commands.add_parser(
        "delete-user", help="delete a user and all their data (profile, tasks)"
    )
    who = remove.add_mutually_exclusive_group(required=True)
    who.add_argument("email", nargs="?", help="the user's e-mail in the pool")
    who.add_argument("--sub", help="the sub of a user the pool no longer has: purge data only")
    commands.add_parser(
        "reindex",
        help="bring content stored by an older release up to the current list layout",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "dev":
            run_dev(args.host, args.port, args.workers)
        elif args.command == "delete-user":
            return run_delete_user(args.email, args.sub)
        elif args.command == "reindex":
            return run_reindex()
        else:
            run_create_owner(args.email, args.password_stdin)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
