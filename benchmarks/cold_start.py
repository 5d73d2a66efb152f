"""Cold start and warm per-request cost of the Lambda package, as ratios to baselines.

Run on demand (not part of the test suite; figures depend on the machine):

    uv run python benchmarks/cold_start.py                 # package with and without bytecode
    uv run --with aws-lambda-powertools python benchmarks/cold_start.py   # + Powertools

It builds the package for this host's architecture with the Makefile (the same recipe as the
arm64 one), then measures, in fresh interpreters set up as on Lambda (`-I -S`, the package
first on `sys.path`, the runtime's boto3 after it, `-B` since /var/task is read-only):

- init + first request of our handler, with the shipped CPython 3.12 bytecode and without it;
- the same for a hand-wired handler (the floor: `json` only) and, when installed, an
  AWS Lambda Powertools `APIGatewayRestResolver` serving the same route;
- the warm cost of one more request, in process, for each.

Every figure is printed with its ratio to the hand-wired baseline measured in the same run.
"""

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The package test's event and settings: the same request, configured as template.yaml does.
from tests.infra.test_package import (  # noqa: E402
    FUNCTION_ENVIRONMENT,
    HEALTH_EVENT,
    RUNTIME_PROVIDED,
)

EVENT = HEALTH_EVENT
ENVIRONMENT = {**FUNCTION_ENVIRONMENT, "POWERTOOLS_SERVICE_NAME": "bench"}

# Each handler module answers GET /health with {"status": "ok", ...}.
HAND_WIRED = """
import json
def handler(event, context):
    if event["httpMethod"] == "GET" and event["path"] == "/health":
        body = {"status": "ok", "version": "0.1.0", "environment": "dev"}
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
                "body": json.dumps(body)}
    return {"statusCode": 404, "body": ""}
"""

POWERTOOLS = """
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
app = APIGatewayRestResolver()
@app.get("/health")
def health():
    return {"status": "ok", "version": "0.1.0", "environment": "dev"}
def handler(event, context):
    return app.resolve(event, context)
"""

PROBE = """
import json, sys, time
start = time.perf_counter()
sys.path[:0] = sys.argv[1].split(":")
sys.path.append(sys.argv[2])
module, event, warm = sys.argv[3], json.loads(sys.argv[4]), int(sys.argv[5])

class Context:
    aws_request_id = "bench"
    function_name = "ApiFunction"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"
    memory_limit_in_mb = 1024
    def get_remaining_time_in_millis(self):
        return 30000

handler = __import__(module, fromlist=["handler"]).handler
answer = handler(dict(event), Context())
cold = time.perf_counter() - start
assert answer["statusCode"] == 200, answer
times = []
for _ in range(warm):
    began = time.perf_counter()
    handler(dict(event), Context())
    times.append(time.perf_counter() - began)
times.sort()
print(json.dumps({"cold": cold, "warm": times[len(times) // 2]}))
"""


def _host_platform() -> str:
    machine = platform.machine().lower()
    return f"{'aarch64' if machine in ('arm64', 'aarch64') else machine}-manylinux2014"


def _build(target: Path) -> None:
    make = shutil.which("make") or "make"
    subprocess.run(
        [make, "--no-print-directory", "build-ApiFunction", f"ARTIFACTS_DIR={target}",
         f"PYTHON_PLATFORM={_host_platform()}"],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip


def _without_bytecode(package: Path, target: Path) -> None:
    shutil.copytree(package, target, ignore=shutil.ignore_patterns("__pycache__"))


def _runtime(target: Path) -> None:
    target.mkdir()
    for name in (*RUNTIME_PROVIDED, "six"):
        spec = importlib.util.find_spec(name)
        assert spec and spec.origin, name
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            (target / name).symlink_to(origin.parent, target_is_directory=True)
        else:
            (target / origin.name).symlink_to(origin)


def _measure(
    paths: list[Path], runtime: Path, module: str, runs: int, warm: int
) -> dict[str, float]:
    colds, warms = [], []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-B", "-c", PROBE, ":".join(map(str, paths)),
             str(runtime), module, json.dumps(EVENT), str(warm)],
            env={"PATH": os.environ.get("PATH", ""), **ENVIRONMENT},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        colds.append(figures["cold"])
        warms.append(figures["warm"])
    return {"cold": statistics.median(colds), "warm": statistics.median(warms)}


def main() -> None:
    """Build, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="cold starts per variant")
    parser.add_argument("--warm", type=int, default=2000, help="warm requests per start")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        work = Path(scratch)
        package, bare, baselines = work / "package", work / "no-bytecode", work / "baselines"
        print("building the package for this host ...", flush=True)
        _build(package)
        _without_bytecode(package, bare)
        _runtime(work / "runtime")
        baselines.mkdir()
        (baselines / "hand_wired.py").write_text(HAND_WIRED, encoding="utf-8")
        variants = {
            "hand-wired handler (baseline)": ([baselines], "hand_wired"),
            "portfolio-api, shipped bytecode": ([package], "portfolio_api.main"),
            "portfolio-api, no bytecode": ([bare], "portfolio_api.main"),
        }
        powertools = importlib.util.find_spec("aws_lambda_powertools")
        if powertools and powertools.submodule_search_locations:
            (baselines / "powertools_app.py").write_text(POWERTOOLS, encoding="utf-8")
            site = Path(next(iter(powertools.submodule_search_locations))).parent
            variants["Powertools resolver"] = ([baselines, site], "powertools_app")
        results = {
            name: _measure(paths, work / "runtime", module, args.runs, args.warm)
            for name, (paths, module) in variants.items()
        }
    base = results["hand-wired handler (baseline)"]
    ours = results["portfolio-api, shipped bytecode"]
    print(f"\n{args.runs} cold starts and {args.warm} warm requests each; medians\n")
    print(f"{'variant':34} {'init+1st ms':>12} {'x base':>8} {'warm µs':>9} {'x base':>8}")
    for name, figures in results.items():
        print(
            f"{name:34} {figures['cold'] * 1e3:12.1f} {figures['cold'] / base['cold']:8.1f}"
            f" {figures['warm'] * 1e6:9.1f} {figures['warm'] / base['warm']:8.1f}"
        )
    bare_ratio = results["portfolio-api, no bytecode"]["cold"] / ours["cold"]
    print(f"\nwithout shipped bytecode a cold start takes {bare_ratio:.1f}x as long")
    if "Powertools resolver" in results:
        pt = results["Powertools resolver"]
        print(
            f"against Powertools: cold {ours['cold'] / pt['cold']:.2f}x,"
            f" warm {ours['warm'] / pt['warm']:.2f}x"
        )


if __name__ == "__main__":
    main()
