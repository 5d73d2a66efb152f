"""Several app processes over one stand-in, like Lambda containers: a stalled call holds only
its own process, and `portfolio-api dev --workers N` serves from N of them and stops them all."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest

from portfolio_api.cli import main
from portfolio_api.core.settings import Settings
from portfolio_api.local.stand_in import free_port
from tests.conftest import BROWSER
from tests.harness import serving_processes

HEALTH_WITHIN_SECONDS = 1.0
DEV_START_TIMEOUT_SECONDS = 60.0


@contextmanager
def black_hole() -> Iterator[tuple[str, threading.Event]]:
    """An endpoint that takes connections and never answers: a service stalled mid-call."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    reached, done = threading.Event(), threading.Event()
    held: list[socket.socket] = []

    def hold() -> None:
        while not done.is_set():
            with suppress(TimeoutError):
                held.append(listener.accept()[0])
                reached.set()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", reached
    finally:
        done.set()
        holder.join()
        for connection in [*held, listener]:
            connection.close()


def _ask_and_ignore(url: str) -> None:
    with suppress(httpx.HTTPError):
        httpx.get(url, timeout=30)


@pytest.mark.slow  # three app processes, and a second of waiting on the stuck one
def test_a_stalled_call_holds_only_its_own_process(settings: Settings, moto_url: str) -> None:
    with (
        black_hole() as (hole, reached),
        serving_processes(
            settings, moto_url, overrides=[{}, {}, {"AWS_ENDPOINT_URL_DYNAMODB": hole}]
        ) as processes,
    ):
        *healthy, stuck = processes.urls
        waiting = threading.Thread(target=_ask_and_ignore, args=(f"{stuck}/v1/products",))
        waiting.start()
        assert reached.wait(10), "the stuck process never made its DynamoDB call"
        for url in healthy:
            started = time.perf_counter()
            assert httpx.get(f"{url}/health", timeout=HEALTH_WITHIN_SECONDS).status_code == 200
            assert time.perf_counter() - started < HEALTH_WITHIN_SECONDS
        with pytest.raises(httpx.TimeoutException):  # its own event loop waits on the call
            httpx.get(f"{stuck}/health", timeout=HEALTH_WITHIN_SECONDS)
    waiting.join(10)
    assert not waiting.is_alive()


def test_dev_help_documents_workers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["dev", "--help"])
    assert exited.value.code == 0
    assert "--workers N" in capsys.readouterr().out


@pytest.mark.parametrize("workers", ["0", "-1", "two"])
def test_dev_refuses_fewer_than_one_worker(
    capsys: pytest.CaptureFixture[str], workers: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["dev", "--workers", workers])
    assert exited.value.code == 2
    assert "--workers" in capsys.readouterr().err


def _processes_in_session(session: int) -> list[int]:
    """Live (not zombie) processes of a session: the dev server and all it started."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields[0] != "Z" and int(fields[3]) == session:
                found.append(int(stat.parent.name))
    return found


def _workers_of(parent: int) -> list[int]:
    """The uvicorn workers `parent` spawned (not multiprocessing's resource tracker)."""
    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
            if int(fields[1]) == parent and b"spawn_main" in command:
                workers.append(int(stat.parent.name))
    return workers


def _track_one_visitor(base: str, claimed_address: str) -> bool:
    """Track a visit from this machine, claiming another address in `X-Forwarded-For`."""
    headers = {"User-Agent": BROWSER, "X-Forwarded-For": claimed_address}
    response = httpx.post(f"{base}/v1/visitors/track", json={"path": "/"}, headers=headers)
    assert response.status_code == 200, response.text
    assert "server" not in response.headers  # no banner
    return bool(response.json()["counted"])


def _wait_until_ready(server: subprocess.Popen[bytes], base: str, log: Path) -> str:
    """The dev server's output up to its `ready` line, which ends the banner."""
    deadline = time.monotonic() + DEV_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        if f"ready: {base}\n" in (output := log.read_text()):
            return output
        time.sleep(0.05)
    raise TimeoutError(log.read_text())


STEPS_IN_ORDER = (
    "starting the stand-in on 127.0.0.1:",
    "creating table portfolio-local",
    "creating user pool portfolio-local",
    "creating owner ",
    "starting 2 app workers on 127.0.0.1:",
    "Portfolio API, local stack",
    "  Owner    ",
    "ready: http://127.0.0.1:",
)
"""What `portfolio-api dev` prints as it starts, a line per step, the banner last."""


def _assert_steps_in_order(output: str) -> None:
    lines = output.splitlines()
    at = [
        next((i for i, line in enumerate(lines) if line.startswith(s)), -1) for s in STEPS_IN_ORDER
    ]
    assert -1 not in at and at == sorted(at), output


@pytest.mark.slow  # the whole dev stack, started and stopped, twice
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("stop", ["ctrl-c", "terminate"])
def test_dev_serves_from_two_workers_and_stops_them_all(tmp_path: Path, stop: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "dev.log"
    environment = {**os.environ, "MOTO_PORT": str(free_port()), "ENVIRONMENT": "local"}
    command = [sys.executable, "-m", "portfolio_api.cli", "dev", "--workers", "2"]
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*command, "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )
    try:
        output = _wait_until_ready(server, base, log)
        # ready means answering: the first request after the line gets an answer, no retry
        assert httpx.get(f"{base}/health", timeout=5).status_code == 200
        _assert_steps_in_order(output)
        assert "Workers  2 app processes" in output
        workers = _workers_of(server.pid)
        assert len(workers) == 2, workers
        counted = []
        # each worker alone answers while the other cannot move at all
        for paused, claimed in zip(workers, ("203.0.113.1", "203.0.113.2"), strict=True):
            os.kill(paused, signal.SIGSTOP)
            try:
                started = time.perf_counter()
                assert httpx.get(f"{base}/health", timeout=HEALTH_WITHIN_SECONDS).status_code == 200
                assert time.perf_counter() - started < HEALTH_WITHIN_SECONDS
                counted.append(_track_one_visitor(base, claimed))
            finally:
                os.kill(paused, signal.SIGCONT)
        # One secret: the second worker knew the visitor, whatever address it claimed (the
        # local server trusts no forwarded header unless TRUSTED_PROXY_HOPS says so).
        assert counted == [True, False]
        if stop == "ctrl-c":
            os.killpg(server.pid, signal.SIGINT)  # what a terminal sends its foreground group
        else:
            server.terminate()
        server.wait(timeout=20)
        deadline = time.monotonic() + 5
        while _processes_in_session(server.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_in_session(server.pid) == [], "left running after the dev server"
    finally:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()
