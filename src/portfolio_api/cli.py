"""`portfolio-api dev | create-owner | delete-user | reindex | export | import`: the local
stack, and operator commands against a deployed stack's pool and table."""

import argparse
import functools
import http.client
import os
import secrets
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from portfolio_api.container import Container
    from portfolio_api.core.settings import StackSettings
    from portfolio_api.local.stack import LocalStack
    from portfolio_api.services.content_layout import LayoutUpgrade
    from portfolio_api.transfer.importer import Plan, Tally

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


class DevRefused(Exception):
    """Why `portfolio-api dev` cannot start, said in one line before anything has started."""


def _step(message: str) -> None:
    """One line per start-up step, as it begins: a slow start shows where it is."""
    print(message, flush=True)


def _moto_port() -> int | None:
    """`MOTO_PORT`, the stand-in's pinned port, if set; refused in one line if malformed."""
    text = os.environ.get("MOTO_PORT", "")
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise DevRefused(f"MOTO_PORT {text!r} is not a port number (1-65535)")
    return int(text)


def _next_free_port(host: str, port: int) -> int:
    """A port to suggest instead of a busy one: the next free one above it, else the OS's pick."""
    from portfolio_api.local.stand_in import free_port, port_is_free

    for candidate in range(port + 1, min(port + 100, 65536)):
        if port_is_free(host, candidate):
            return candidate
    return free_port(host)


def _refuse_busy_ports(host: str, port: int, moto_port: int | None) -> None:
    """Check both ports before the stand-in starts or anything is provisioned."""
    from portfolio_api.local.stand_in import HOST as STAND_IN_HOST
    from portfolio_api.local.stand_in import port_is_free

    if moto_port == port:
        raise DevRefused(f"MOTO_PORT and --port are both {port}: the stand-in needs its own")
    try:
        if not port_is_free(host, port):
            raise DevRefused(f"port {port} is in use (try --port {_next_free_port(host, port)})")
    except OSError as exc:
        raise DevRefused(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    if moto_port is None:
        return
    try:
        moto_free = port_is_free(STAND_IN_HOST, moto_port)
    except OSError as exc:
        raise DevRefused(f"cannot listen on MOTO_PORT {moto_port}: {exc.strerror or exc}") from None
    if not moto_free:
        alternative = _next_free_port(STAND_IN_HOST, moto_port)
        raise DevRefused(
            f"MOTO_PORT {moto_port} is in use (try MOTO_PORT={alternative}, or unset it)"
        )


def run_dev(host: str, port: int, workers: int = DEFAULT_WORKERS, seed: Path | None = None) -> None:
    """Start moto in-process as DynamoDB and Cognito, provision it, then serve the app.

    The app runs in `workers` processes, like as many Lambda containers: each serves one
    request at a time, so a call that stalls holds its own worker only. The stand-in stays in
    this process (with its patches); workers find it, and what was provisioned on it, through
    the environment they inherit.
    """
    from portfolio_api.local.stand_in import HOST as STAND_IN_HOST
    from portfolio_api.local.stand_in import free_port, running_stand_in

    moto_port = _moto_port()
    _refuse_busy_ports(host, port, moto_port)
    plan = _seed_plan(seed) if seed else None  # an unimportable folder is refused before start
    moto_port = moto_port or free_port()
    _step(f"starting the stand-in on {STAND_IN_HOST}:{moto_port}")
    with running_stand_in(moto_port) as endpoint:
        _provision_and_serve(endpoint, host, port, workers, (seed, plan) if seed and plan else None)


def _seed_plan(seed: Path) -> "Plan":
    """`--seed DIR`, read and validated whole; refused in one line (then each problem)."""
    from portfolio_api.transfer.importer import read_folder

    plan = read_folder(seed)
    if plan.problems:
        raise DevRefused(f"--seed {seed} cannot be imported:\n" + "\n".join(plan.problems))
    return plan


def seed_dev_stack(container: "Container", seed: Path, plan: "Plan") -> "Tally":
    """Import the `--seed` folder into the freshly provisioned stack, as `import` would."""
    from portfolio_api.transfer.importer import import_plan

    _step(f"seeding from {seed}")
    tally = import_plan(container, plan, _import_progress)
    if tally.refused or tally.failed:
        raise DevRefused("--seed: " + "; ".join(tally.refused or tally.failed))
    _step(f"  {_tally_line(tally)}")
    return tally


def _point_aws_at(endpoint: str, region: str) -> None:
    """The dev stack never reaches real AWS: every AWS setting points at the stand-in."""
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


def _app_environment(stack: "LocalStack", region: str) -> None:
    """What the workers inherit: where the stack is, and the local defaults."""
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


def _provision_and_serve(
    endpoint: str, host: str, port: int, workers: int, seed: "tuple[Path, Plan] | None" = None
) -> None:
    """Point every AWS setting at the stand-in, provision the stack and its owner, serve."""
    import boto3

    from portfolio_api.core.clock import system_clock
    from portfolio_api.core.settings import load_settings
    from portfolio_api.local.stack import OWNER_GROUP, provision
    from portfolio_api.repositories.users import UserRepository
    from portfolio_api.services.owner_setup import ensure_owner

    region = "us-east-1"
    _point_aws_at(endpoint, region)
    dynamodb = boto3.client("dynamodb", region_name=region)
    cognito = boto3.client("cognito-idp", region_name=region)
    stack = provision(dynamodb, cognito, on_step=_step)
    _app_environment(stack, region)
    email = os.environ.get("OWNER_EMAIL", DEFAULT_OWNER_EMAIL)
    password = os.environ.get("OWNER_PASSWORD", DEFAULT_OWNER_PASSWORD)
    _step(f"creating owner {email}")
    ensure_owner(
        cognito,
        UserRepository(dynamodb, stack.table_name),
        user_pool_id=stack.user_pool_id,
        email=email,
        password=password,
        owner_group=OWNER_GROUP,
        clock=system_clock,
    )
    settings = load_settings()  # a bad setting fails here, in one line, not in every worker
    if seed:
        from portfolio_api.container import Container

        seed_dev_stack(Container(settings), *seed)
    banner = _banner(_base_url(host, port), email, password, stack, workers, endpoint)
    _serve(host, port, workers, banner)


def _base_url(host: str, port: int) -> str:
    """Where the API is, as a browser or curl would write it."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _banner(
    base: str, email: str, password: str, stack: "LocalStack", workers: int, endpoint: str = ""
) -> str:
    """Where everything is, printed once the server answers: what a developer needs next."""
    return (
        "Portfolio API, local stack (moto stands in for DynamoDB and Cognito, in memory)\n"
        f"  API      {base}/v1   health {base}/health\n"
        f"  Docs     {base}/docs   spec {base}/openapi.json\n"
        f"  Owner    {email} / {password}   (set OWNER_EMAIL / OWNER_PASSWORD to change)\n"
        f"  Pool     {stack.user_pool_id}   client {stack.client_id}   table {stack.table_name}\n"
        f"  Workers  {workers} app {'process' if workers == 1 else 'processes'}, one request at a"
        " time each, like Lambda containers (--workers N)\n"
        "  Sign-up  any confirmation code is accepted by the stand-in\n"
        "  Operate  in another shell, so create-owner, export and import reach this stack:\n"
        f"    {_operator_environment(endpoint, stack)}\n"
        f"ready: {base}"
    )


def _operator_environment(endpoint: str, stack: "LocalStack") -> str:
    """The line that points the operator commands at the dev stack: what `load_stack_settings`
    reads, the stand-in's endpoint, and the throwaway credentials it accepts."""
    return (
        f"export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=local "
        "AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 "
        f"DYNAMODB_TABLE_NAME={stack.table_name} COGNITO_USER_POOL_ID={stack.user_pool_id}"
    )


def _serve(host: str, port: int, workers: int, banner: str) -> None:
    """Serve until stopped, printing `banner` only once `/health` answers."""
    import uvicorn

    _step(f"starting {workers} app {'worker' if workers == 1 else 'workers'} on {host}:{port}")
    stopped = threading.Event()
    watcher = threading.Thread(
        target=_announce_when_ready, args=(host, port, banner, stopped), daemon=True
    )
    watcher.start()
    try:
        uvicorn.run(
            APP_IMPORT, host=host, port=port, workers=workers, log_level="warning", **SERVER_OPTIONS
        )
    finally:
        stopped.set()


def _announce_when_ready(host: str, port: int, banner: str, stopped: threading.Event) -> None:
    """Print `banner` once the server answers, not once it binds: the workers are still
    importing the app then, and a URL printed that early would be refused."""
    while not stopped.is_set():
        if _health_answers(host, port):
            print(banner, flush=True)
            return
        stopped.wait(0.1)


def _health_answers(host: str, port: int) -> bool:
    """Whether `GET /health` answers 200 now; straight to the socket, past any HTTP proxy."""
    wildcard = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}
    connection = http.client.HTTPConnection(wildcard.get(host, host), port, timeout=1)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


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
    """Bring every content item up to the current list layout in the configured table, and
    list every redirect under its item (so an export carries it)."""
    from portfolio_api.content.collections import ALL_COLLECTIONS
    from portfolio_api.core.settings import load_stack_settings
    from portfolio_api.db.client import dynamodb_client
    from portfolio_api.repositories.content import ContentRepository
    from portfolio_api.services.content_layout import list_former_slugs, upgrade_list_layout

    settings = load_stack_settings()
    repository = ContentRepository(dynamodb_client(settings.region), settings.dynamodb_table_name)
    failed = 0
    for spec in ALL_COLLECTIONS:
        run = upgrade_list_layout(repository, spec, functools.partial(_print_progress, spec.name))
        print(f"{spec.name}: {run.upgraded} items brought up to the current list layout")
        if run.failed:
            print(f"{spec.name}: still busy, run again for: {' '.join(run.failed)}")
        failed += len(run.failed)
    listed, _changed = list_former_slugs(repository)
    print(f"former slugs: {listed} redirects listed under their items")
    return 1 if failed else 0


def _operator_container(stack: "StackSettings") -> "Container":
    """The services over the configured stack, for commands that write as the API does.

    The operator has the stack's names only: the app client id is a stand-in (no token is
    verified here) and cursors are signed with a throwaway key (they never leave the process).
    """
    from pydantic import SecretStr

    from portfolio_api.container import Container
    from portfolio_api.core.settings import Settings

    settings = Settings(
        **stack.model_dump(),
        cognito_client_id="operator",
        cursor_secret=SecretStr(secrets.token_urlsafe(32)),
    )
    return Container(settings)


def run_export(directory: Path) -> int:
    """Write every item, product and the analytics report of the configured stack to DIR."""
    from portfolio_api.core.settings import load_stack_settings
    from portfolio_api.transfer.export import ExportRefused, export_folder

    container = _operator_container(load_stack_settings())
    try:
        counts = export_folder(container, directory, on_step=_step)
    except ExportRefused as exc:
        print(f"portfolio-api export: {exc}", file=sys.stderr)
        return 1
    listed = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
    print(f"exported to {directory}: {listed}")
    return 0


def _import_progress(done: int, total: int) -> None:
    """A line every 50 files of a long import, so it never looks stuck."""
    if total >= 50 and (done % 50 == 0 or done == total):
        print(f"  {done}/{total} files", flush=True)


def _tally_line(tally: "Tally") -> str:
    failed = f", {len(tally.failed)} failed" if tally.failed else ""
    return f"{tally.created} created, {tally.updated} updated, {tally.unchanged} unchanged{failed}"


def run_import(directory: Path, check: bool) -> int:
    """Validate every file of DIR; unless `check`, then upsert each into the configured stack."""
    from portfolio_api.transfer.importer import import_plan, read_folder

    plan = read_folder(directory)
    for problem in plan.problems:
        print(problem, file=sys.stderr)
    if plan.problems:
        print(f"{len(plan.problems)} problems: nothing imported", file=sys.stderr)
        return 1
    if check:
        print(f"{directory}: {len(plan.files)} files, all valid")
        return 0
    from portfolio_api.core.settings import load_stack_settings

    tally = import_plan(_operator_container(load_stack_settings()), plan, _import_progress)
    for refusal in tally.refused:
        print(refusal, file=sys.stderr)
    if tally.refused:
        clashes = f"{len(tally.refused)} clash{'es' if len(tally.refused) > 1 else ''}"
        print(f"{clashes} with the stack: nothing imported", file=sys.stderr)
        return 1
    for failure in tally.failed:
        print(failure, file=sys.stderr)
    print(f"imported {directory}: {_tally_line(tally)}")
    return 1 if tally.failed else 0


DEV_ENVIRONMENT: tuple[tuple[str, str], ...] = (
    ("HOST", "where to listen when --host is not given (default 127.0.0.1)"),
    ("PORT", "the port to listen on when --port is not given (default 8000)"),
    ("MOTO_PORT", "the stand-in's port, checked before start (default: a free one)"),
    ("OWNER_EMAIL", f"the owner made at start (default {DEFAULT_OWNER_EMAIL})"),
    ("OWNER_PASSWORD", f"the owner's password (default {DEFAULT_OWNER_PASSWORD})"),
    ("ENVIRONMENT", "the app's environment name, shown by /health (default local)"),
    ("CORS_ALLOW_ORIGINS", "origins the API answers, comma-separated (default *)"),
    ("CURSOR_SECRET", "the key cursors and visitor hashes derive from, shared by every"),
    ("", "worker (default: a random one per start)"),
    ("AWS_ENDPOINT_URL", "ignored, as are AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and"),
    ("", "AWS_DEFAULT_REGION: they are set to the stand-in's; AWS_PROFILE and"),
    ("", "AWS_SESSION_TOKEN are unset, so nothing reaches real AWS"),
)
"""The environment `portfolio-api dev` reads, for its `--help` (a test holds it to the code)."""


def _dev_epilog() -> str:
    """`dev --help`'s list of environment variables, aligned in two columns."""
    width = max(len(name) for name, _ in DEV_ENVIRONMENT) + 2
    rows = [f"  {name:<{width}}{meaning}" for name, meaning in DEV_ENVIRONMENT]
    return "\n".join(
        [
            "environment variables:",
            *rows,
            "",
            "Any other app setting (LOG_LEVEL, TRUSTED_PROXY_HOPS, ANALYTICS_*; see",
            "core/settings.py) is read from the environment by each worker, as on Lambda.",
            "",
            "Each start-up step prints a line as it begins; the banner, ending in",
            "'ready: http://HOST:PORT', follows once GET /health answers. A busy port (or",
            "MOTO_PORT) is refused in one line on stderr before anything starts, with status 2.",
        ]
    )


def _port(text: str) -> int:
    """`--port` and `PORT`: a port number a server can listen on."""
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return int(text)


def _add_dev_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """`dev`: its options, each with its default, and the environment it reads."""
    dev = commands.add_parser(
        "dev",
        help="serve the API locally, on an in-memory stand-in for DynamoDB and Cognito",
        description="Serve the API on an embedded, in-memory stand-in for DynamoDB and Cognito:\n"
        "start moto, create the table, the user pool and an owner as template.yaml defines\n"
        "them, then serve the app from --workers processes. Data is gone when it stops.",
        epilog=_dev_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    dev.add_argument(
        "--host",
        default=os.environ.get("HOST", "127.0.0.1"),
        help="the address to listen on (default: %(default)s; $HOST sets it)",
    )
    dev.add_argument(
        "--port",
        type=_port,
        default=os.environ.get("PORT", "8000"),
        help="the port to listen on (default: %(default)s; $PORT sets it)",
    )
    dev.add_argument(
        "--workers",
        type=_worker_count,
        default=DEFAULT_WORKERS,
        metavar="N",
        help="app processes over the one stand-in, each serving one request at a time like a "
        "Lambda container, so a stalled call holds only its own (default: %(default)s)",
    )
    dev.add_argument(
        "--seed",
        type=Path,
        metavar="DIR",
        help="import DIR (an `export` folder, validated before anything starts) once the "
        "stack is provisioned (default: none, the stack starts empty)",
    )


def _add_operator_commands(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    """The commands an operator runs against a deployed stack's pool and table."""
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
    export = commands.add_parser(
        "export",
        help="write every item (drafts too), product and the analytics report to a folder",
        description="Write the folder format portfolio-api/1 (Markdown with YAML front matter, "
        "YAML, CSV) into a new folder beside DIR, renamed into place once complete. DIR must "
        "be new, empty, or a former export (which is replaced).",
    )
    export.add_argument("directory", type=Path, metavar="DIR")
    load = commands.add_parser(
        "import",
        help="validate a folder in the export format, then upsert its items and products",
        description="Validate every file first (nothing is written if any is invalid), then "
        "upsert items by id or slug and products by id, as the API would. Unchanged items are "
        "not written, so importing a folder twice changes nothing the second time. The "
        "analytics CSVs are not imported.",
    )
    load.add_argument("directory", type=Path, metavar="DIR")
    load.add_argument("--check", action="store_true", help="only validate; write nothing")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, apart from running it, so tests can read its help."""
    parser = argparse.ArgumentParser(
        prog="portfolio-api",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(
        dest="command",
        required=True,
        title="commands",
        metavar="COMMAND",
        help="`portfolio-api COMMAND --help` tells more",
    )
    _add_dev_command(commands)
    _add_operator_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `portfolio-api` console script."""
    from portfolio_api.core.settings import SettingsError

    args = build_parser().parse_args(argv)
    try:
        if args.command == "dev":
            run_dev(args.host, args.port, args.workers, args.seed)
        elif args.command == "export":
            return run_export(args.directory)
        elif args.command == "import":
            return run_import(args.directory, args.check)
        elif args.command == "delete-user":
            return run_delete_user(args.email, args.sub)
        elif args.command == "reindex":
            return run_reindex()
        else:
            run_create_owner(args.email, args.password_stdin)
    except DevRefused as exc:
        print(f"portfolio-api dev: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        if exc.name != "yaml":  # the one module an extra brings that these commands import
            raise
        command = "dev --seed" if args.command == "dev" else args.command
        print(
            f"portfolio-api {command} needs the `cli` extra: uv sync --extra cli", file=sys.stderr
        )
        return 2
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
