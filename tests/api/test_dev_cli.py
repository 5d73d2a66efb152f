"""`portfolio-api dev` says what it does: a busy port is one line and status 2 before anything
starts, and `--help` documents every option and every environment variable it reads."""

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from portfolio_api import cli
from portfolio_api.cli import main
from portfolio_api.local.stand_in import free_port, port_is_free

REFUSED_WITHIN_SECONDS = 30.0  # an interpreter start; a stand-in and a stack take far longer


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another server listens on, for as long as the test runs."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield listener.getsockname()[1]


def run_dev(*args: str, moto_port: str | None = None) -> subprocess.CompletedProcess[str]:
    """`portfolio-api dev` in its own interpreter, as a developer starts it."""
    environment = {k: v for k, v in os.environ.items() if k not in {"MOTO_PORT", "HOST", "PORT"}}
    if moto_port is not None:
        environment["MOTO_PORT"] = moto_port
    return subprocess.run(
        [sys.executable, "-m", "portfolio_api.cli", "dev", "--host", "127.0.0.1", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=REFUSED_WITHIN_SECONDS,
        check=False,
    )


def test_a_busy_port_is_one_line_and_status_2_before_anything_starts(held_port: int) -> None:
    finished = run_dev("--port", str(held_port))

    assert finished.returncode == 2
    assert re.fullmatch(
        rf"portfolio-api dev: port {held_port} is in use \(try --port (\d+)\)\n", finished.stderr
    ), finished.stderr
    suggested = int(finished.stderr.rsplit("--port ", 1)[1].rstrip(")\n"))
    assert suggested != held_port and port_is_free("127.0.0.1", suggested)
    assert finished.stdout == ""  # no stand-in started, nothing provisioned, no banner


def test_a_busy_moto_port_is_refused_the_same_way(held_port: int) -> None:
    finished = run_dev("--port", str(free_port()), moto_port=str(held_port))

    assert finished.returncode == 2
    assert finished.stderr.startswith(f"portfolio-api dev: MOTO_PORT {held_port} is in use")
    assert finished.stderr.count("\n") == 1
    assert finished.stdout == ""


@pytest.mark.parametrize("moto_port", ["abc", "0", "70000", "same"])
def test_an_unusable_moto_port_is_refused_before_anything_starts(moto_port: str) -> None:
    port = str(free_port())
    finished = run_dev("--port", port, moto_port=port if moto_port == "same" else moto_port)

    assert finished.returncode == 2
    assert finished.stderr.startswith("portfolio-api dev: MOTO_PORT ")
    assert finished.stderr.count("\n") == 1
    assert finished.stdout == ""


def test_port_is_free_sees_a_listener_on_every_interface() -> None:
    with socket.create_server(("0.0.0.0", 0)) as listener:
        port = listener.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
    assert port_is_free("127.0.0.1", port)


def help_text(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """What `portfolio-api ARGV --help` prints, at a fixed width."""
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


@pytest.fixture(autouse=True)
def fixed_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """argparse wraps at the terminal's width; the tests read it at one."""
    monkeypatch.setenv("COLUMNS", "100")


def test_dev_help_gives_every_option_a_default(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_text(capsys, "dev")
    usage, options = text.split("\n\n", 1)
    listed = re.findall(r"\[(--[a-z-]+)", usage)

    assert listed == ["--host", "--port", "--workers", "--seed"]
    for option in listed:
        entry = re.search(rf"^  {option} .*?(?=^  -|\n\n)", options, re.MULTILINE | re.DOTALL)
        assert entry, option
        assert "(default: " in entry.group(), entry.group()


def variables_read_by_cli() -> set[str]:
    """Every environment variable cli.py reads (or unsets), straight from its source."""
    source = Path(cli.__file__).read_text()
    found = re.findall(r'os\.environ(?:\.get\(|\.setdefault\(|\.pop\(|\[)"([A-Z_0-9]+)"', source)
    return set(found)


def test_dev_help_names_every_environment_variable_the_command_reads(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = help_text(capsys, "dev")
    read = variables_read_by_cli()

    assert {"HOST", "PORT", "MOTO_PORT", "OWNER_EMAIL", "CURSOR_SECRET"} <= read
    epilog = text.split("environment variables:", 1)[1]
    assert sorted(name for name in read if not re.search(rf"\b{name}\b", epilog)) == []


def test_top_level_help_describes_each_command_in_a_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = help_text(capsys)
    commands = re.search(r"`portfolio-api ([^`]+)`", cli.__doc__ or "")
    assert commands

    for command in commands.group(1).split(" | "):
        assert re.search(rf"^    {command}\s+[a-z]", text, re.MULTILINE), command
