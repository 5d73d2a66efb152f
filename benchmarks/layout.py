"""The packages the targets run from, laid out as Lambda lays out a function's code.

Each target runs from a directory at the front of `sys.path` (/var/task on Lambda), with the
runtime's boto3 and its kin after it. Every package is compiled to CPython bytecode with
unchecked hashes, as the Makefile ships the project's.
"""

import importlib.metadata
import importlib.util
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
# Powertools, and the project's own versions of what the peers share with it.
PEER_PACKAGES = ("aws-lambda-powertools", "pydantic", "python-jose", "cryptography")
PEER_MODULES = ("peer_work.py", "peer_powertools.py", "peer_fastapi.py", "floor_boto3.py")


def host_platform() -> str:
    """The manylinux platform of this machine, for wheels that run here."""
    machine = platform.machine().lower()
    return f"{'aarch64' if machine in ('arm64', 'aarch64') else machine}-manylinux2014"


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """A command that must succeed; its output is kept for the error."""
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


def _make(source: Path, target: Path) -> Path:
    make = shutil.which("make") or "make"
    run(
        [make, "--no-print-directory", "build-ApiFunction", f"ARTIFACTS_DIR={target}",
         f"PYTHON_PLATFORM={host_platform()}"],
        cwd=source,
    )  # fmt: skip
    return target


def project(target: Path) -> Path:
    """The function's package from this checkout, by the Makefile's recipe."""
    return _make(ROOT, target)


def handler_module(package: Path) -> str:
    """The module holding the project's `handler` in a built package: `lambda_handler` since the
    entry point left `main` (a baseline revision may predate that)."""
    moved = (package / "portfolio_api" / "lambda_handler.py").is_file()
    return "portfolio_api.lambda_handler" if moved else "portfolio_api.main"


def project_at(revision: str, target: Path) -> Path:
    """The function's package as it was at a git revision (its own Makefile and locked set)."""
    with tempfile.TemporaryDirectory(prefix="bench-source-") as scratch:
        archive = Path(scratch) / "source.tar"
        run(["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), revision])
        source = Path(scratch) / "source"
        with tarfile.open(archive) as bundle:
            bundle.extractall(source, filter="data")
        return _make(source, target)


def peer(target: Path) -> Path:
    """The peers' package: Powertools, pinned like the project, and the peer modules."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    exclude_newer = settings["tool"]["uv"]["exclude-newer"]
    pins = [f"{name}=={importlib.metadata.version(name)}" for name in PEER_PACKAGES[1:]]
    run(
        ["uv", "pip", "install", "--quiet", "--only-binary", ":all:", "--exclude-newer",
         exclude_newer, "--python-platform", host_platform(), "--python-version", "3.12",
         "--target", str(target), PEER_PACKAGES[0], *pins],
    )  # fmt: skip
    shutil.rmtree(target / "bin", ignore_errors=True)
    for name in PEER_MODULES:
        shutil.copy(HERE / name, target / name)
    run(
        [sys.executable, "-m", "compileall", "-q", "-f", "--invalidation-mode", "unchecked-hash",
         str(target)],
    )  # fmt: skip
    return target


def runtime(target: Path) -> Path:
    """What the python3.12 runtime puts after the package on `sys.path`: boto3 and its kin.

    Copied from this environment and compiled, as the runtime ships them, so no target pays
    for compiling them and none depends on what this environment happened to compile.
    """
    target.mkdir()
    for name in RUNTIME_PROVIDED:
        spec = importlib.util.find_spec(name)
        assert spec and spec.origin, name
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(origin.parent, target / name, ignore=shutil.ignore_patterns("*.pyc"))
        else:
            shutil.copy(origin, target / origin.name)
    run(
        [sys.executable, "-m", "compileall", "-q", "-f", "--invalidation-mode", "unchecked-hash",
         str(target)],
    )  # fmt: skip
    return target
