"""Check a built Lambda package of ApiFunction (python3.12, arm64) before it is zipped.

Usage: uv run python scripts/check_artifact.py DIR

DIR is what `make build-ApiFunction ARTIFACTS_DIR=DIR` produced, or `.aws-sam/build/ApiFunction`
after `sam build`. The checks:

- every ELF file (compiled extensions and any bundled libraries) is 64-bit little-endian aarch64,
  every `*.so` is such an ELF, and no extension is tagged for another CPython than 3.12;
- every module has a CPython 3.12 `.pyc` in `__pycache__` (all of portfolio_api, nearly all of the
  dependencies), with 3.12's magic number, hash-based (SAM zips every file with a 1980 timestamp, so
  a timestamp-based `.pyc` would never match its source on Lambda and every cold start would
  compile the module again in memory, /var/task being read-only) and, when this script runs on
  3.12, made from the very source next to it;
- neither boto3 nor botocore is packaged (the Lambda runtime provides them), nor uvicorn, nor
  python-jose's fallback backends ecdsa, rsa and pyasn1 (never imported beside cryptography; ecdsa
  carries an advisory that will not be fixed, CVE-2024-23342), nor the operator's YAML and
  front-matter libraries (PyYAML: `export`/`import` only);
- `portfolio_api/lambda_handler.py` is there and defines `handler` (template.yaml's Handler);
- the unzipped size is within Lambda's limit. The size and the file count are printed.

Exits 0 when everything holds, 1 with the list of failures otherwise, 2 on bad usage.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "portfolio_api"
HANDLER_MODULE = Path(PACKAGE) / "lambda_handler.py"
HANDLER_NAME = "handler"
# Provided by the Lambda runtime (boto3, botocore) or not used there (uvicorn).
RUNTIME_OR_UNUSED = ("boto3", "botocore", "uvicorn")
# python-jose's fallback backends, which the Makefile prunes: with cryptography they are never
# imported, and a package that had them again would bring back ecdsa's advisory.
JOSE_FALLBACKS = ("ecdsa", "rsa", "pyasn1")
# The operator's file formats (`export`/`import`, the `cli` extra): PyYAML (its module, its C
# extension and its metadata under either spelling) and any front-matter library. The function
# never reads a folder; if one of these is packaged, a runtime dependency pulled it in.
OPERATOR_FORMATS = ("yaml", "_yaml", "PyYAML", "pyyaml", "frontmatter", "python_frontmatter")
# What must not be packaged, by the failure reported when it is.
FORBIDDEN = {
    "packaged although the Lambda runtime provides them or never uses them": RUNTIME_OR_UNUSED,
    "python-jose's fallback backends, never imported beside cryptography "
    "(ecdsa: CVE-2024-23342, not to be fixed)": JOSE_FALLBACKS,
    "the operator's YAML and front-matter libraries, which the function never uses": (
        OPERATOR_FORMATS
    ),
}

PYC_TAG = "cpython-312"
# importlib.util.MAGIC_NUMBER of CPython 3.12 (3531).
PYC_MAGIC_312 = (3531).to_bytes(2, "little") + b"\r\n"
# Share of the dependencies' modules that must have a .pyc.
MIN_DEPENDENCY_PYC_SHARE = 0.95

ELF_MAGIC = b"\x7fELF"
ELFCLASS64 = 2
ELFDATA2LSB = 1
EM_AARCH64 = 183
EXTENSION_TAG = re.compile(r"\.(cpython-(\d+)[^.]*|abi3)\.so$")

# Lambda's quota for a function's unzipped code, in bytes ("250 MB").
UNZIPPED_LIMIT = 250 * 1024 * 1024
MB = 1024 * 1024
SHOWN = 10


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, title: str, items: list[str] | None = None) -> None:
        if items:
            shown = "\n".join(f"    {item}" for item in items[:SHOWN])
            more = f"\n    ... and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
            title = f"{title}:\n{shown}{more}"
        self.failures.append(title)


def all_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def elf_problem(path: Path) -> str | None:
    """Why `path` is not an aarch64 ELF, or None when it is one."""
    with path.open("rb") as stream:
        header = stream.read(20)
    if len(header) < 20 or header[:4] != ELF_MAGIC:
        return "not an ELF file"
    if header[4] != ELFCLASS64:
        return "not a 64-bit ELF"
    if header[5] != ELFDATA2LSB:
        return "not little-endian"
    machine = int.from_bytes(header[18:20], "little")
    if machine != EM_AARCH64:
        return f"e_machine {machine}, not {EM_AARCH64} (aarch64)"
    return None


def is_elf(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(4) == ELF_MAGIC


def check_binaries(root: Path, files: list[Path], report: Report) -> None:
    wrong: list[str] = []
    count = 0
    for path in files:
        shared = path.name.endswith(".so") or ".so." in path.name
        if not (shared or is_elf(path)):
            continue
        count += 1
        relative = path.relative_to(root)
        problem = elf_problem(path)
        if problem:
            wrong.append(f"{relative}: {problem}")
            continue
        match = EXTENSION_TAG.search(path.name)
        if match and match.group(2) and match.group(2) != "312":
            wrong.append(f"{relative}: built for CPython {match.group(2)}, not 3.12")
    if wrong:
        report.fail("compiled files that Lambda arm64 / python3.12 cannot load", wrong)
    report.notes.append(f"ELF files: {count}, all aarch64" if not wrong else f"ELF files: {count}")


def pyc_path(source: Path) -> Path:
    return source.parent / "__pycache__" / f"{source.stem}.{PYC_TAG}.pyc"


def pyc_problem(source: Path, pyc: Path) -> str | None:
    """Why `pyc` would not be used for `source` on Lambda, or None when it would be."""
    header = pyc.read_bytes()[:16]
    if len(header) < 16 or header[:4] != PYC_MAGIC_312:
        return "not CPython 3.12 bytecode (magic number)"
    flags = int.from_bytes(header[4:8], "little")
    if not flags & 0b01:
        return "timestamp-based: SAM zips files dated 1980, so it is recompiled on every cold start"
    if sys.version_info[:2] == (3, 12):
        expected = importlib.util.source_hash(source.read_bytes())
        if header[8:16] != expected:
            return "compiled from another version of the source"
    return None


def check_bytecode(root: Path, files: list[Path], report: Report) -> None:
    sources = [path for path in files if path.suffix == ".py"]
    own = [path for path in sources if path.relative_to(root).parts[0] == PACKAGE]
    missing_own: list[str] = []
    missing_dependencies: list[str] = []
    wrong: list[str] = []
    for source in sources:
        pyc = pyc_path(source)
        relative = str(source.relative_to(root))
        if not pyc.is_file():
            (missing_own if source in own else missing_dependencies).append(relative)
            continue
        problem = pyc_problem(source, pyc)
        if problem:
            wrong.append(f"{pyc.relative_to(root)}: {problem}")
    if not own:
        report.fail(f"no Python module of {PACKAGE} in the package")
    if missing_own:
        report.fail(f"modules of {PACKAGE} without {PYC_TAG} bytecode", missing_own)
    dependencies = len(sources) - len(own)
    compiled = dependencies - len(missing_dependencies)
    if dependencies and compiled / dependencies < MIN_DEPENDENCY_PYC_SHARE:
        report.fail(
            f"only {compiled} of {dependencies} dependency modules have {PYC_TAG} bytecode",
            missing_dependencies,
        )
    if wrong:
        report.fail("bytecode that Lambda would not use", wrong)
    report.notes.append(
        f"{PYC_TAG} bytecode: {len(own) - len(missing_own)}/{len(own)} modules of {PACKAGE}, "
        f"{compiled}/{dependencies} of the dependencies"
    )


def is_distribution_of(entry: Path, name: str) -> bool:
    """Whether a top-level entry is `name`'s package, module or metadata."""
    return entry.name in (name, f"{name}.py") or (
        entry.name.startswith(f"{name}-") and entry.name.endswith(".dist-info")
    )


def check_contents(root: Path, report: Report) -> None:
    entries = list(root.iterdir())
    for reason, forbidden in FORBIDDEN.items():
        present = sorted(
            entry.name for entry in entries for name in forbidden if is_distribution_of(entry, name)
        )
        if present:
            report.fail(reason, present)
    module = root / HANDLER_MODULE
    if not module.is_file():
        report.fail(f"{HANDLER_MODULE} is missing: the function's handler module")
        return
    tree = ast.parse(module.read_text(encoding="utf-8"), filename=str(module))
    names = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    } | {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    if HANDLER_NAME not in names:
        report.fail(f"{HANDLER_MODULE} does not define `{HANDLER_NAME}` at module level")


def check_size(files: list[Path], report: Report) -> None:
    size = sum(path.stat().st_size for path in files)
    report.notes.append(f"unzipped size: {size / MB:.1f} MB in {len(files)} files")
    if size > UNZIPPED_LIMIT:
        report.fail(
            f"unzipped size {size / MB:.1f} MB exceeds Lambda's {UNZIPPED_LIMIT // MB} MB limit"
        )


def check(root: Path) -> Report:
    report = Report()
    files = all_files(root)
    check_contents(root, report)
    check_binaries(root, files, report)
    check_bytecode(root, files, report)
    check_size(files, report)
    return report


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write(f"usage: {Path(argv[0]).name} DIR\n")
        return 2
    root = Path(argv[1])
    if not root.is_dir():
        sys.stderr.write(f"{root}: not a directory\n")
        return 2
    report = check(root)
    out = sys.stdout
    out.write(f"Lambda package {os.fspath(root)}\n")
    for note in report.notes:
        out.write(f"  {note}\n")
    if report.failures:
        sys.stderr.write(f"FAILED: {len(report.failures)} problem(s)\n")
        for failure in report.failures:
            sys.stderr.write(f"- {failure}\n")
        return 1
    out.write("OK: aarch64 extensions, CPython 3.12 bytecode, none of the left-out packages\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
