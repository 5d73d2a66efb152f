"""Cold start, warm cost, memory and the SnapStart restore path, as ratios to a Powertools peer.

Run on demand (never part of the test suite; absolute figures depend on the machine):

    uv run python benchmarks/cold_start.py [--rounds 30] [--warm-rounds 20]

What is compared, all in the Lambda package layout (the Makefile's artifact built for this host,
with its shipped bytecode; the runtime's boto3 after it on `sys.path`; `-I -S -B` as on Lambda):

- the project's handler, `portfolio_api.main`;
- the peer, `peer_powertools.py`: a hand-tuned Powertools `APIGatewayRestResolver` app
  (`enable_validation=True`) doing the same work — the same Query on the same table, the same JWT
  verification on the owner's request — whose body and ETag are checked byte for byte against
  the project's in every round;
- the floor, `floor_boto3.py`: a boto3 client and the same Query, no framework.

Both requests are `GET /v1/blog/posts?limit=10`, the public one anonymous, the owner's with
`status=all` and an ID token. The table and the pool are moto's, served on loopback by this
process and seeded through the project's own API.

- Cold: every target starts in a fresh interpreter, the targets shuffled in every round; the
  figure is init plus the first answer, and the ratio is taken per round.
- Warm: one process loads both apps and alternates single calls between them, so the machine's
  noise falls on both alike; the ratio is taken per round of calls.
- Memory: the peak resident size of each cold start, ratio per round.
- Restore: in a fresh interpreter with a stand-in for the runtime's `snapshot_restore_py`, the
  handler is imported, the before-snapshot hooks run, then the after-restore hooks, then the
  first request is timed against the median warm request of the same process.

Every figure is a median with its quartiles over the rounds.
"""

import argparse
import http.server
import importlib.metadata
import json
import logging
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import tomllib
import urllib.request
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
REGION = "us-east-1"
POSTS = 5
PEER_PACKAGES = ("aws-lambda-powertools", "pydantic", "python-jose", "cryptography")

CONTEXT = """
class Context:
    aws_request_id = "bench"
    function_name = "ApiFunction"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"
    memory_limit_in_mb = 1024
    def get_remaining_time_in_millis(self):
        return 28000
"""

# One cold start: init plus the first answer, then the peak resident size.
COLD_PROBE = (
    """
import time
start = time.perf_counter()
import importlib, json, sys
sys.path[:0] = sys.argv[1].split(":")
sys.path.append(sys.argv[2])
event = json.loads(sys.argv[4])
"""
    + CONTEXT
    + """
answer = importlib.import_module(sys.argv[3]).handler(event, Context())
cold = time.perf_counter() - start
# VmHWM, not ru_maxrss: Linux carries the parent's ru_maxrss over fork and exec.
with open("/proc/self/status") as status:
    peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
headers |= {k.lower(): v[-1] for k, v in (answer.get("multiValueHeaders") or {}).items()}
print(json.dumps({"cold": cold, "peak": peak_kib, "status": answer["statusCode"],
                  "body": answer.get("body"), "etag": headers.get("etag")}))
"""
)

# Both apps in one process, single calls alternating between them, the order swapped each call.
WARM_PROBE = (
    """
import importlib, json, statistics, sys, time
sys.path[:0] = sys.argv[1].split(":")
sys.path.append(sys.argv[2])
events = json.loads(sys.argv[3])
rounds, calls = int(sys.argv[4]), int(sys.argv[5])
"""
    + CONTEXT
    + """
ours = importlib.import_module("portfolio_api.main").handler
peer = importlib.import_module("peer_powertools").handler
floor = importlib.import_module("floor_boto3").handler
apps = {"ours": ours, "peer": peer, "floor": floor}
result = {}
for name, event in events.items():
    targets = ["ours", "peer"] + (["floor"] if name == "public" else [])
    for target in targets:
        for _ in range(20):
            assert apps[target](dict(event), Context())["statusCode"] == 200
    ratios, floors, medians = [], [], {t: [] for t in targets}
    for _ in range(rounds):
        times = {t: [] for t in targets}
        for call in range(calls):
            order = targets if call % 2 else targets[::-1]
            for target in order:
                began = time.perf_counter()
                apps[target](dict(event), Context())
                times[target].append(time.perf_counter() - began)
        median = {t: statistics.median(v) for t, v in times.items()}
        for t in targets:
            medians[t].append(median[t])
        ratios.append(median["ours"] / median["peer"])
        if "floor" in median:
            floors.append(median["ours"] / median["floor"])
    result[name] = {"ratios": ratios, "floor": floors, "medians": medians}
print(json.dumps(result))
"""
)

# The SnapStart path: hooks registered through a stand-in of the runtime's module, then run.
RESTORE_PROBE = (
    """
import importlib, json, statistics, sys, time, types
sys.path[:0] = sys.argv[1].split(":")
sys.path.append(sys.argv[2])
event = json.loads(sys.argv[3])
before, after = [], []
def _registrar(hooks):
    def register(func, *args, **kwargs):
        hooks.append((func, args, kwargs))
        return func
    return register
runtime = types.ModuleType("snapshot_restore_py")
runtime.register_before_snapshot = _registrar(before)
runtime.register_after_restore = _registrar(after)
sys.modules["snapshot_restore_py"] = runtime
"""
    + CONTEXT
    + """
handler = importlib.import_module("portfolio_api.main").handler
for func, args, kwargs in before:
    func(*args, **kwargs)
for func, args, kwargs in reversed(after):
    func(*args, **kwargs)
began = time.perf_counter()
answer = handler(dict(event), Context())
first = time.perf_counter() - began
assert answer["statusCode"] == 200, answer
warm = []
for _ in range(200):
    began = time.perf_counter()
    handler(dict(event), Context())
    warm.append(time.perf_counter() - began)
print(json.dumps({"first": first, "warm": statistics.median(warm),
                  "hooks": [len(before), len(after)]}))
"""
)


def _host_platform() -> str:
    machine = platform.machine().lower()
    return f"{'aarch64' if machine in ('arm64', 'aarch64') else machine}-manylinux2014"


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


def build_project(target: Path) -> Path:
    """The function's package, by the Makefile's recipe, for this host's architecture."""
    make = shutil.which("make") or "make"
    _run(
        [make, "--no-print-directory", "build-ApiFunction", f"ARTIFACTS_DIR={target}",
         f"PYTHON_PLATFORM={_host_platform()}"],
        cwd=ROOT,
    )  # fmt: skip
    return target


def build_peer(target: Path) -> Path:
    """The peer's package: Powertools, and the project's own versions of what both use."""
    exclude_newer = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"][
        "exclude-newer"
    ]
    pins = [
        f"{name}=={importlib.metadata.version(name)}"
        for name in PEER_PACKAGES
        if name != PEER_PACKAGES[0]
    ]
    _run(
        ["uv", "pip", "install", "--quiet", "--only-binary", ":all:", "--exclude-newer",
         exclude_newer, "--python-platform", _host_platform(), "--python-version", "3.12",
         "--target", str(target), PEER_PACKAGES[0], *pins],
    )  # fmt: skip
    shutil.rmtree(target / "bin", ignore_errors=True)
    for name in ("peer_powertools.py", "floor_boto3.py"):
        shutil.copy(HERE / name, target / name)
    _run(
        [sys.executable, "-m", "compileall", "-q", "-f", "--invalidation-mode", "unchecked-hash",
         str(target)],
    )  # fmt: skip
    return target


def runtime_layer(target: Path) -> Path:
    """What the python3.12 runtime puts after the package on `sys.path`: boto3 and its kin."""
    target.mkdir()
    for name in RUNTIME_PROVIDED:
        spec = importlib.util.find_spec(name)
        assert spec and spec.origin, name
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            (target / name).symlink_to(origin.parent, target_is_directory=True)
        else:
            (target / origin.name).symlink_to(origin)
    return target


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _Replaying(http.server.BaseHTTPRequestHandler):
    """Forwards a request to moto the first time, then answers the same request from memory."""

    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pool expects
    disable_nagle_algorithm = True
    wbufsize = 1 << 16  # one write per answer, flushed after it
    upstream = ""
    answers: ClassVar[dict[tuple[str, ...] | tuple[Any, ...], tuple[Any, ...]]] = {}

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        key = (self.command, self.path, body, self.headers.get("X-Amz-Target", ""))
        if key not in self.answers:
            request = urllib.request.Request(
                self.upstream + self.path, data=body or None, method=self.command,
                headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
            )  # fmt: skip
            with urllib.request.urlopen(request) as upstream:
                kept = [(k, v) for k, v in upstream.getheaders() if k.lower() in _KEPT_HEADERS]
                self.answers[key] = (upstream.status, kept, upstream.read())
        status, headers, payload = self.answers[key]
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


_KEPT_HEADERS = frozenset({"content-type", "x-amz-crc32", "x-amzn-requestid"})


def replaying_proxy(upstream: str) -> str:
    """A loopback endpoint that replays moto's answer to any request it has seen before.

    The table does not change while the benchmark reads it, so a replayed answer is the answer
    moto would give; it keeps moto's own time per Query (about 13 ms here, far more than either
    framework spends) out of the figures, while botocore still builds, signs, sends and parses
    every call as it would against DynamoDB.
    """
    _Replaying.upstream = upstream
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Replaying)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def start_stand_in() -> dict[str, str]:
    """moto on loopback, provisioned as the local stack, with published posts and an owner.

    Returns the environment the function would get, plus the owner's ID token.
    """
    import boto3
    from fastapi.testclient import TestClient
    from moto.server import ThreadedMotoServer

    from portfolio_api.core.clock import system_clock
    from portfolio_api.core.settings import Settings
    from portfolio_api.local import moto_extensions
    from portfolio_api.local.stack import OWNER_GROUP, provision
    from portfolio_api.repositories.users import UserRepository
    from portfolio_api.services.owner_setup import ensure_owner

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's line per call
    port = _free_port()
    moto_extensions.install()
    ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False).start()
    aws = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }
    os.environ.update(aws)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    cognito = boto3.client("cognito-idp", region_name=REGION)
    stack = provision(dynamodb, cognito, table_name="portfolio-bench", pool_name="bench")
    email, password = "owner@example.com", "Bench-Owner-Pass-1!"
    ensure_owner(
        cognito, UserRepository(dynamodb, stack.table_name), user_pool_id=stack.user_pool_id,
        email=email, password=password, owner_group=OWNER_GROUP, clock=system_clock,
    )  # fmt: skip
    tokens = cognito.initiate_auth(
        ClientId=stack.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]
    aws["AWS_ENDPOINT_URL"] = replaying_proxy(aws["AWS_ENDPOINT_URL"])
    environment = {
        **aws,
        "DYNAMODB_TABLE_NAME": stack.table_name,
        "COGNITO_USER_POOL_ID": stack.user_pool_id,
        "COGNITO_CLIENT_ID": stack.client_id,
        "COGNITO_REGION": REGION,
        "ENVIRONMENT": "dev",
        "LOG_LEVEL": "WARNING",  # no access line: the peer writes none
        "AWS_LAMBDA_FUNCTION_NAME": "ApiFunction",  # as Lambda sets it
        "CORS_ALLOW_ORIGINS": "*",
        "ALLOW_SIGNUP": "true",
        "CURSOR_SECRET": "b" * 48,
    }
    os.environ.update(environment)
    from portfolio_api.main import create_app  # builds an app from the environment at import

    settings = Settings(**{k.lower(): v for k, v in environment.items() if not k.startswith("AWS")})
    client = TestClient(create_app(settings.model_copy(update={"log_level": "WARNING"})))
    bearer = {"Authorization": f"Bearer {tokens['IdToken']}"}
    for n in range(POSTS):
        post = {
            "title": f"Serverless notes, part {n} — café edition",
            "summary": "How this site's API runs.",
            "content": "word " * (150 * (n + 1)),
            "category": "Engineering",
            "tags": ["aws", "python"],
            "status": "published",
        }
        created = client.post("/v1/blog/posts", json=post, headers=bearer)
        assert created.status_code == 201, created.text
    draft = {"title": "Unfinished", "content": "Soon.", "category": "Notes"}
    assert client.post("/v1/blog/posts", json=draft, headers=bearer).status_code == 201
    return {**environment, "ID_TOKEN": tokens["IdToken"]}


def api_event(query: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
    """An API Gateway (REST) proxy event for `GET /v1/blog/posts`."""
    headers = {"Accept": "application/json", "Host": "abc123.execute-api.us-east-1.amazonaws.com",
               **headers}  # fmt: skip
    return {
        "resource": "/v1/blog/posts",
        "path": "/v1/blog/posts",
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()},
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/v1/blog/posts",
            "httpMethod": "GET",
            "path": "/dev/v1/blog/posts",
            "stage": "dev",
            "requestId": "bench-request",
            "accountId": "123456789012",
            "apiId": "abc123",
            "protocol": "HTTP/1.1",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "bench"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def _python(script: str, *args: str, env: dict[str, str]) -> dict[str, Any]:
    result = _run([sys.executable, "-I", "-S", "-B", "-c", script, *args], env=env)
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def _spread(values: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return median, q1, q3


def _row(label: str, ratios: list[float], detail: str = "") -> str:
    median, q1, q3 = _spread(ratios)
    return f"| {label} | **{median:.2f}x** | {q1:.2f} to {q3:.2f} | {detail} |"


def _ms(values: list[float]) -> str:
    median, q1, q3 = _spread(values)
    return f"{median * 1e3:.0f} ms ({q1 * 1e3:.0f} to {q3 * 1e3:.0f})"


def _us(values: list[float]) -> str:
    median, q1, q3 = _spread(values)
    return f"{median * 1e6:.0f} us ({q1 * 1e6:.0f} to {q3 * 1e6:.0f})"


def measure_cold(
    targets: dict[str, tuple[list[Path], str, dict[str, Any]]],
    runtime: Path,
    env: dict[str, str],
    rounds: int,
) -> dict[str, list[dict[str, Any]]]:
    """Every target once per round, in a fresh interpreter, in a new random order each round."""
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    order = list(targets)
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            paths, module, event = targets[name]
            figures = _python(
                COLD_PROBE, ":".join(map(str, paths)), str(runtime), module, json.dumps(event),
                env=env,
            )  # fmt: skip
            assert figures["status"] == 200, (name, figures)
            results[name].append(figures)
        for kind in ("public", "owner"):
            ours, peer = results[f"ours {kind}"][-1], results[f"peer {kind}"][-1]
            assert (ours["body"], ours["etag"]) == (peer["body"], peer["etag"]), (kind, ours, peer)
    return results


def main() -> None:
    """Build, seed, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="cold-start rounds")
    parser.add_argument("--warm-rounds", type=int, default=20, help="rounds of warm calls")
    parser.add_argument("--calls", type=int, default=100, help="warm calls per app per round")
    parser.add_argument("--restores", type=int, default=15, help="restore-path runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        work = Path(scratch)
        print("building the project's package and the peer's for this host ...", flush=True)
        ours = build_project(work / "project")
        peer = build_peer(work / "peer")
        runtime = runtime_layer(work / "runtime")
        print("seeding moto on loopback through the project's API ...", flush=True)
        stand_in = start_stand_in()
        token = stand_in.pop("ID_TOKEN")
        env = {"PATH": os.environ.get("PATH", ""), **stand_in}
        public = api_event({"limit": "10"}, {})
        owner = api_event({"limit": "10", "status": "all"}, {"Authorization": f"Bearer {token}"})
        targets = {
            "ours public": ([ours], "portfolio_api.main", public),
            "peer public": ([peer], "peer_powertools", public),
            "floor public": ([peer], "floor_boto3", public),
            "ours owner": ([ours], "portfolio_api.main", owner),
            "peer owner": ([peer], "peer_powertools", owner),
        }
        print(f"{args.rounds} rounds of cold starts ...", flush=True)
        cold = measure_cold(targets, runtime, env, args.rounds)
        print("warm calls, alternating in one process ...", flush=True)
        warm = _python(
            WARM_PROBE, f"{ours}:{peer}", str(runtime),
            json.dumps({"public": public, "owner": owner}), str(args.warm_rounds),
            str(args.calls), env=env,
        )  # fmt: skip
        print("the restore path ...", flush=True)
        restores = [
            _python(RESTORE_PROBE, str(ours), str(runtime), json.dumps(public), env=env)
            for _ in range(args.restores)
        ]
    print_table(cold, warm, restores, args)


def print_table(
    cold: dict[str, list[dict[str, Any]]],
    warm: dict[str, Any],
    restores: list[dict[str, Any]],
    args: argparse.Namespace,
) -> None:
    """The README's tables: ratios per round, median and quartiles; absolutes for context only."""

    def per_round(ours: str, other: str, field: str) -> list[float]:
        return [a[field] / b[field] for a, b in zip(cold[ours], cold[other], strict=True)]

    def values(name: str, field: str) -> list[float]:
        return [figures[field] for figures in cold[name]]

    def cold_pair(ours: str, other: str) -> str:
        return f"{_ms(values(ours, 'cold'))} / {_ms(values(other, 'cold'))}"

    def mib(name: str) -> str:
        return f"{statistics.median(values(name, 'peak')) / 1024:.1f} MiB"

    print(
        f"\n{args.rounds} cold rounds; {args.warm_rounds} warm rounds of {args.calls} alternating"
        f" calls; {args.restores} restores. Ratios per round: median, quartiles.\n"
    )
    print("| figure | project / Powertools | quartiles | project, peer (context only) |")
    print("|---|---|---|---|")
    for kind in ("public", "owner"):
        ratios = per_round(f"ours {kind}", f"peer {kind}", "cold")
        detail = cold_pair(f"ours {kind}", f"peer {kind}")
        print(_row(f"cold start to the first {kind} answer", ratios, detail))
    for kind in ("public", "owner"):
        medians = warm[kind]["medians"]
        detail = f"{_us(medians['ours'])} / {_us(medians['peer'])}"
        print(_row(f"warm request, {kind}", warm[kind]["ratios"], detail))
    ratios = per_round("ours public", "peer public", "peak")
    print(_row("peak memory", ratios, f"{mib('ours public')} / {mib('peer public')}"))
    print("\n| figure | ratio | quartiles | context |")
    print("|---|---|---|---|")
    ratios = per_round("ours public", "floor public", "cold")
    floor = f"floor {_ms(values('floor public', 'cold'))}"
    print(_row("cold start, project / floor (boto3, a client, the Query)", ratios, floor))
    ratios = per_round("peer public", "floor public", "cold")
    print(_row("cold start, Powertools / floor", ratios))
    floor = f"floor {_us(warm['public']['medians']['floor'])}"
    print(_row("warm request, project / floor", warm["public"]["floor"], floor))
    hooks = restores[0]["hooks"]
    registered = f"hooks: {hooks[0]} before snapshot, {hooks[1]} after restore"
    ratios = [r["first"] / r["warm"] for r in restores]
    print(_row("SnapStart: first request after restore / warm request", ratios, registered))


if __name__ == "__main__":
    main()
