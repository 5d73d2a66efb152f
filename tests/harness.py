"""App servers in separate processes over one stand-in: races the way Lambda containers meet them.

Each process holds one app with its own event loop and, like a Lambda container, serves one
request at a time (its routes call botocore synchronously). Requests spread over three of them
truly race at the stand-in; inside one event loop they would be served one after another.

Processes are forked from a `forkserver` that imported the app once, so a test's three start in
about a third of a second instead of three (each would otherwise import FastAPI, pydantic and
botocore afresh). Each child reads its settings from the environment, as a container does, and
gets the listening socket from the test, so there is no port to race for. A child also ends
itself should the test run die without tearing it down.
"""

import multiprocessing
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.process import BaseProcess

import httpx
from pydantic import SecretStr

from portfolio_api.core.settings import Settings

PROCESS_COUNT = 3
START_TIMEOUT_SECONDS = 30.0
STOP_GRACE_SECONDS = 1.0
REQUEST_TIMEOUT_SECONDS = 30.0

_FORKSERVER = multiprocessing.get_context("forkserver")
# Imported once by the fork server, so each child starts with them loaded. pytest too: every
# child re-runs the parent's main script (pytest's), which would import it again (0.1 s each).
_FORKSERVER.set_forkserver_preload(
    ["pytest", "portfolio_api.main", "uvicorn", "httpx", "tests.harness"]
)


@dataclass(frozen=True, slots=True)
class AppProcesses:
    """The base URLs of app servers, one process each, all over the test's stand-in."""

    urls: tuple[str, ...]
    start_seconds: float
    """What starting them cost the test: about 0.3 s for three, once the fork server runs."""

    def url(self, n: int) -> str:
        """The n-th request's server, round-robin over the processes."""
        return self.urls[n % len(self.urls)]


def settings_environment(settings: Settings) -> dict[str, str]:
    """The environment variables from which `load_settings()` reads `settings` back."""
    environment: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            text = value.get_secret_value()
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, tuple):
            text = ",".join(value)
        else:
            text = str(value)
        environment[name.upper()] = text
    read_back = Settings.model_validate({k.lower(): v for k, v in environment.items()})
    assert read_back == settings, "a setting does not survive the trip through the environment"
    return environment


@contextmanager
def serving_processes(
    settings: Settings,
    aws_endpoint: str,
    count: int = PROCESS_COUNT,
    overrides: Sequence[Mapping[str, str]] = (),
) -> Iterator[AppProcesses]:
    """Serve `settings`' app from `count` processes; `overrides[n]` adds to the n-th's environment.

    Every process gets the same settings, the cursor secret included, so cursors and visitor
    hashes made by one are accepted by the others (and by the test's in-process app). All are
    stopped on exit, the test failed or not.
    """
    base = {**settings_environment(settings), "AWS_ENDPOINT_URL": aws_endpoint}
    started = time.perf_counter()
    servers: list[tuple[str, BaseProcess]] = []
    try:
        for n in range(count):
            extra = overrides[n] if n < len(overrides) else {}
            servers.append(_start_app_process({**base, **extra}))
        for url, process in servers:
            _wait_until_healthy(url, process)
        yield AppProcesses(
            urls=tuple(url for url, _ in servers),
            start_seconds=time.perf_counter() - started,
        )
    finally:
        _stop([process for _, process in servers])


def race[T](processes: AppProcesses, count: int, send: Callable[[httpx.Client, int], T]) -> list[T]:
    """Send `count` requests at once from as many threads, round-robin over the processes.

    `send(client, n)` makes the n-th request with a client bound to its process; the results come
    back in the order of `n`.
    """
    barrier = threading.Barrier(count, timeout=REQUEST_TIMEOUT_SECONDS)
    clients = [
        httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_SECONDS) for url in processes.urls
    ]

    def one(n: int) -> T:
        client = clients[n % len(clients)]
        barrier.wait()
        return send(client, n)

    try:
        with ThreadPoolExecutor(max_workers=count) as pool:
            return list(pool.map(one, range(count)))
    finally:
        for client in clients:
            client.close()


def _start_app_process(environment: dict[str, str]) -> tuple[str, BaseProcess]:
    """One app server process, on a socket bound here; returns its base URL and the process."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    host, port = listener.getsockname()[:2]
    process = _FORKSERVER.Process(
        target=_serve, args=(listener, environment, os.getpid()), daemon=True
    )
    try:
        process.start()
    finally:
        listener.close()  # the child holds its own copy
    return f"http://{host}:{port}", process


def _stop(processes: list[BaseProcess]) -> None:
    """Stop them all at once; kill those a stalled call holds (SIGTERM waits for the call)."""
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
        process.close()


def _wait_until_healthy(url: str, process: BaseProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if not process.is_alive():
            raise RuntimeError(f"app process for {url} exited with {process.exitcode}")
        with suppress(httpx.TransportError):
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        time.sleep(0.02)
    raise TimeoutError(f"app process for {url} did not answer /health")


def _serve(listener: socket.socket, environment: dict[str, str], test_run: int) -> None:
    """In the child: build the app from the environment, as a container would, and serve it."""
    os.environ.update(environment)
    _exit_with(test_run)
    import uvicorn

    from portfolio_api.cli import SERVER_OPTIONS
    from portfolio_api.core.settings import load_settings
    from portfolio_api.main import create_app

    app = create_app(load_settings())
    config = uvicorn.Config(
        app, lifespan="off", log_level="warning", access_log=False, **SERVER_OPTIONS
    )
    uvicorn.Server(config).run(sockets=[listener])


def _exit_with(test_run: int) -> None:
    """End this process once the test run is gone without stopping it (killed, say).

    Not the fork server: every child holds the end of the pipe that would tell it the test run
    is gone, so it outlives the test run as long as any child does.
    """

    def watch() -> None:
        with suppress(ProcessLookupError):
            while True:
                os.kill(test_run, 0)
                time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-test-run", daemon=True).start()
