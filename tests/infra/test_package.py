"""The Lambda package of ApiFunction: built for arm64 / CPython 3.12 on this host, and complete.

The package is built the way a deployment builds it: `sam build` when template.yaml gives the
function `BuildMethod: makefile` (SAM then runs the Makefile's `build-ApiFunction`), else that make
target directly. scripts/check_artifact.py then checks it (aarch64 extensions, CPython 3.12
bytecode for every module, no boto3/botocore nor python-jose's unused backends) and prints its
unzipped size.

aarch64 code cannot run here, so a twin built by the same Makefile for this host's architecture
proves the rest: with nothing but the package and what the Lambda runtime adds (boto3 and its
dependencies), the handler imports, answers a request, and needs no bytecode of its own; and an
RS256 token verifies without python-jose's fallback backends (ecdsa, rsa, pyasn1), which the
package leaves out and which that run refuses to import.

Wheels come from the package index (uv's cache makes repeated runs quick).
"""

import importlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key
from jose import jwk, jwt

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
CHECK = ROOT / "scripts" / "check_artifact.py"
FUNCTION = "ApiFunction"
TIMEOUT = 600

# What the python3.12 Lambda runtime puts on sys.path after /var/task.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3")
# python-jose's fallback backends: the Makefile prunes them, as cryptography makes them dead code.
JOSE_FALLBACKS = ("ecdsa", "rsa", "pyasn1")

# A cold start in miniature: sys.path as on Lambda (the package first, then the runtime's boto3),
# the handler imported, one API Gateway (REST) request through it.
COLD_START = """
import json, sys
task, runtime, event = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path[:0] = [task]
sys.path.append(runtime)
from portfolio_api.lambda_handler import handler

class Context:
    aws_request_id = "smoke-request"
    function_name = "ApiFunction"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"
    memory_limit_in_mb = 1024
    def get_remaining_time_in_millis(self):
        return 30000

response = handler(event, Context())
module = sys.modules["portfolio_api.lambda_handler"].__file__
print(json.dumps({"response": response, "module": module}))
"""

# The Lambda sys.path again, with any import of the named packages refused (as if missing, even if
# something on the path had them): the handler imported, then one token verified the service's way.
VERIFY_WITHOUT = """
import dataclasses, importlib.abc, importlib.machinery, json, sys
task, runtime, refused_names = sys.argv[1], sys.argv[2], tuple(sys.argv[3].split(","))
token, jwks, issuer, client_id = sys.argv[4], json.loads(sys.argv[5]), sys.argv[6], sys.argv[7]
sys.path[:0] = [task]
sys.path.append(runtime)
available = [n for n in refused_names if importlib.machinery.PathFinder.find_spec(n)]
attempts = []

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in refused_names:
            attempts.append(fullname)
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None

sys.meta_path.insert(0, Refuse())
import portfolio_api.lambda_handler  # the cold start's imports come first, as on Lambda
from portfolio_api.core.security import TokenVerifier

verifier = TokenVerifier(
    issuer=issuer, client_id=client_id, owner_group="owner", fetch_jwks=lambda: jwks
)
principal = verifier.verify(token)
loaded = sorted(n for n in sys.modules if n.partition(".")[0] in refused_names)
assert not loaded, loaded
print(json.dumps({
    "principal": dataclasses.asdict(principal),
    "available": available,
    "attempts": attempts,
    "loaded": loaded,
}))
"""

HEALTH_EVENT: dict[str, Any] = {
    "resource": "/{proxy+}",
    "path": "/health",
    "httpMethod": "GET",
    "headers": {"Accept": "application/json", "Host": "abc123.execute-api.us-east-1.amazonaws.com"},
    "multiValueHeaders": {
        "Accept": ["application/json"],
        "Host": ["abc123.execute-api.us-east-1.amazonaws.com"],
    },
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": {"proxy": "health"},
    "stageVariables": None,
    "requestContext": {
        "resourcePath": "/{proxy+}",
        "httpMethod": "GET",
        "path": "/dev/health",
        "stage": "dev",
        "requestId": "smoke-request",
        "accountId": "123456789012",
        "apiId": "abc123",
        "protocol": "HTTP/1.1",
        "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
        "identity": {"sourceIp": "203.0.113.7", "userAgent": "package-test"},
    },
    "body": None,
    "isBase64Encoded": False,
}

# The function's settings as template.yaml passes them (values are placeholders).
FUNCTION_ENVIRONMENT = {
    "DYNAMODB_TABLE_NAME": "portfolio-smoke",
    "COGNITO_USER_POOL_ID": "us-east-1_Smoke1234",
    "COGNITO_CLIENT_ID": "smokeclient",
    "COGNITO_REGION": "us-east-1",
    "ENVIRONMENT": "dev",
    "LOG_LEVEL": "WARNING",
    "CORS_ALLOW_ORIGINS": "*",
    "ALLOW_SIGNUP": "true",
    "CURSOR_SECRET": "s" * 48,
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


class _AnyTagLoader(yaml.SafeLoader):
    """Reads CloudFormation's short tags (`!Ref`, `!Sub`, ...) as None: only plain keys matter."""


_AnyTagLoader.add_multi_constructor("!", lambda _loader, _suffix, _node: None)


def _template_builds_with_make() -> bool:
    template = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_AnyTagLoader)
    function = template["Resources"][FUNCTION]
    return (function.get("Metadata") or {}).get("BuildMethod") == "makefile"


def _tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).with_name(name))
    assert Path(found).exists(), f"{name} is needed to build the Lambda package"
    return found


def _run(command: list[str], env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{output}"
    return output


def _build_env() -> dict[str, str]:
    return {**os.environ, "SAM_CLI_TELEMETRY": "0"}


def _make(artifacts: Path, *overrides: str) -> Path:
    artifacts.mkdir(parents=True, exist_ok=True)
    command = [_tool("make"), "--no-print-directory", f"build-{FUNCTION}"]
    _run([*command, f"ARTIFACTS_DIR={artifacts}", *overrides], env=_build_env())
    return artifacts


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The deployable package, as `sam build` (or, before the template uses make, make) makes it."""
    build = tmp_path_factory.mktemp("lambda-build")
    if not _template_builds_with_make():
        return _make(build / FUNCTION)
    # --build-in-source: make runs in the checkout instead of a scratch copy of it (.venv and
    # all); the Makefile writes only to ARTIFACTS_DIR and a temporary file.
    _run(
        [
            _tool("sam"),
            "build",
            FUNCTION,
            "--template",
            str(TEMPLATE),
            "--build-dir",
            str(build),
            "--build-in-source",
        ],
        env=_build_env(),
    )
    return build / FUNCTION


@pytest.mark.slow  # builds the package
def test_package_is_arm64_python312_bytecode_without_boto3(package: Path) -> None:
    output = _run([sys.executable, str(CHECK), str(package)])
    assert "unzipped size:" in output, output
    sys.stdout.write(output)


def test_check_rejects_a_package_built_for_another_architecture(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    (bad / "portfolio_api" / "__pycache__").mkdir(parents=True)
    (bad / "portfolio_api" / "lambda_handler.py").write_text("handler = None\n", encoding="utf-8")
    # An x86-64 ELF header (e_machine 62) under an extension module's name.
    header = b"\x7fELF\x02\x01\x01" + b"\x00" * 11 + (62).to_bytes(2, "little")
    (bad / "_speedups.cpython-312-x86_64-linux-gnu.so").write_bytes(header + b"\x00" * 44)
    (bad / "boto3").mkdir()
    result = subprocess.run(
        [sys.executable, str(CHECK), str(bad)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "e_machine 62" in result.stderr
    assert "portfolio_api/lambda_handler.py" in result.stderr  # no bytecode for it
    assert "boto3" in result.stderr


def test_check_rejects_joses_fallback_backends(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    for entry in ("ecdsa", "rsa", "rsa-4.9.1.dist-info", "pyasn1-0.6.1.dist-info"):
        (bad / entry).mkdir(parents=True)
    (bad / "pyasn1_modules").mkdir()  # another distribution: not a fallback backend
    result = subprocess.run(
        [sys.executable, str(CHECK), str(bad)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result.stdout + result.stderr
    failure = result.stderr.split("- python-jose's fallback backends", 1)[1].split("\n- ", 1)[0]
    listed = {line.strip() for line in failure.splitlines()[1:]}
    assert listed == {"ecdsa", "rsa", "rsa-4.9.1.dist-info", "pyasn1-0.6.1.dist-info"}


def _host_platform() -> str:
    machine = platform.machine().lower()
    if sys.platform != "linux" or machine not in ("x86_64", "aarch64", "arm64"):
        pytest.skip("the cold-start twin needs Linux on x86_64 or aarch64")
    return f"{'aarch64' if machine == 'arm64' else machine}-manylinux2014"


def _runtime_provided(directory: Path) -> Path:
    """boto3 and the packages it needs, linked from this environment, as the runtime has them."""
    directory.mkdir()
    for name in (*RUNTIME_PROVIDED, "six"):
        origin = importlib.import_module(name).__file__
        assert origin, name
        path = Path(origin)
        if path.name == "__init__.py":
            (directory / name).symlink_to(path.parent, target_is_directory=True)
        else:  # six: python-dateutil's, a single module
            (directory / path.name).symlink_to(path)
    return directory


def _bytecode(directory: Path) -> dict[Path, int]:
    return {path: path.stat().st_mtime_ns for path in directory.rglob("*.pyc")}


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package built by the same Makefile for this host's architecture, so that it runs here."""
    platform_override = f"PYTHON_PLATFORM={_host_platform()}"
    return _make(tmp_path_factory.mktemp("twin") / FUNCTION, platform_override)


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _runtime_provided(tmp_path_factory.mktemp("runtime") / "python")


def _in_lambda(script: str, *args: str, flags: tuple[str, ...] = ()) -> dict[str, Any]:
    """Runs `script` in a bare interpreter with the function's settings; its last line as JSON."""
    # -I -S: no site-packages, no user site, no PYTHON* variables; only the paths the script sets.
    result = subprocess.run(
        [sys.executable, "-I", "-S", *flags, "-c", script, *args],
        env={"PATH": os.environ.get("PATH", ""), **FUNCTION_ENVIRONMENT},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.slow  # builds the twin
def test_package_alone_serves_a_request_with_its_own_bytecode(twin: Path, runtime: Path) -> None:
    before = _bytecode(twin)
    report = _in_lambda(COLD_START, str(twin), str(runtime), json.dumps(HEALTH_EVENT))
    response = report["response"]
    assert response["statusCode"] == 200, response
    assert json.loads(response["body"])["status"] == "ok", response
    assert Path(report["module"]).is_relative_to(twin), report["module"]
    # Every module came from the shipped .pyc: none was missing, stale or rewritten.
    assert _bytecode(twin) == before


def _signed_id_token(issuer: str, client_id: str) -> tuple[str, dict[str, Any]]:
    """A Cognito-shaped ID token signed with a new RSA key, and the JWKS that holds that key."""
    private = generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    kid = "package-test-key"
    public: dict[str, Any] = jwk.construct(pem, "RS256").public_key().to_dict()
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": client_id,
        "token_use": "id",
        "sub": "1f2e3d4c-package-test",
        "email": "owner@example.com",
        "cognito:username": "1f2e3d4c-package-test",
        "cognito:groups": ["owner"],
        "auth_time": now,
        "iat": now,
        "exp": now + 600,
    }
    token: str = jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid})
    return token, {"keys": [{**public, "kid": kid, "use": "sig"}]}


@pytest.mark.slow  # builds the twin
def test_package_verifies_rs256_tokens_without_joses_fallback_backends(
    twin: Path, runtime: Path
) -> None:
    """ecdsa (an advisory that will not be fixed), rsa and pyasn1 are left out of the package: the
    token must verify with every import of them refused, and none of them may be in the package."""
    region = FUNCTION_ENVIRONMENT["COGNITO_REGION"]
    pool = FUNCTION_ENVIRONMENT["COGNITO_USER_POOL_ID"]
    issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool}"
    client_id = FUNCTION_ENVIRONMENT["COGNITO_CLIENT_ID"]
    token, jwks = _signed_id_token(issuer, client_id)
    # -B: this run leaves the shared twin's bytecode as it found it.
    report = _in_lambda(
        VERIFY_WITHOUT,
        str(twin),
        str(runtime),
        ",".join(JOSE_FALLBACKS),
        token,
        json.dumps(jwks),
        issuer,
        client_id,
        flags=("-B",),
    )
    assert report["available"] == [], "packaged, or on the runtime's path"
    assert report["attempts"] == [], "imported on the way to a verified token"
    assert report["loaded"] == []
    expected = {
        "sub": "1f2e3d4c-package-test",
        "email": "owner@example.com",
        "groups": ["owner"],
        "token_use": "id",
        "is_owner": True,
    }
    assert report["principal"].items() >= expected.items(), report["principal"]
