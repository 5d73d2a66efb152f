"""The scripts each fresh interpreter runs (`python -I -S -B -c`), and how to run them.

Each gets the package directories for the front of `sys.path` and the runtime layer for its end,
as Lambda arranges them, and prints one JSON line of figures.
"""

import json
import sys
from pathlib import Path
from typing import Any

from layout import run

CONTEXT = """
class Context:
    aws_request_id = "bench"
    function_name = "ApiFunction"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"
    memory_limit_in_mb = 1024
    def get_remaining_time_in_millis(self):
        return 28000
"""

PREAMBLE = """
import importlib, json, statistics, sys, time
sys.path[:0] = sys.argv[1].split(":")
sys.path.append(sys.argv[2])
"""

# One cold start: init plus the first answer, then the peak resident size.
COLD = (
    """
import time
start = time.perf_counter()
"""
    + PREAMBLE
    + CONTEXT
    + """
event = json.loads(sys.argv[4])
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

# Several apps in one process, single calls in turn, the order rotated every call; per round of
# calls each app's median.
WARM = (
    PREAMBLE
    + CONTEXT
    + """
events, apps = json.loads(sys.argv[3]), json.loads(sys.argv[4])
rounds, calls = int(sys.argv[5]), int(sys.argv[6])
handlers = {name: importlib.import_module(module).handler for name, module in apps.items()}
result = {}
for kind, event in events.items():
    names = [name for name in apps if kind == "public" or name != "floor"]
    for name in names:
        for _ in range(20):
            assert handlers[name](dict(event), Context())["statusCode"] == 200, name
    medians = {name: [] for name in names}
    for _ in range(rounds):
        times = {name: [] for name in names}
        for call in range(calls):
            shift = call % len(names)
            for name in names[shift:] + names[:shift]:
                began = time.perf_counter()
                handlers[name](dict(event), Context())
                times[name].append(time.perf_counter() - began)
        for name in names:
            medians[name].append(statistics.median(times[name]))
    result[kind] = medians
print(json.dumps(result))
"""
)

# The SnapStart path: hooks registered through a stand-in of the runtime's module, then run as
# the runtime runs them; the first request after them against warm requests of the same process,
# and against warm requests that each open a new connection, which the first one must too.
RESTORE = (
    PREAMBLE
    + CONTEXT
    + """
import types
event = json.loads(sys.argv[4])
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
handler = importlib.import_module(sys.argv[3]).handler
for func, args, kwargs in reversed(before):  # the runtime runs these last-registered first
    func(*args, **kwargs)
for func, args, kwargs in after:
    func(*args, **kwargs)
began = time.perf_counter()
answer = handler(dict(event), Context())
first = time.perf_counter() - began
assert answer["statusCode"] == 200, answer
def timed(prepare=lambda: None):
    prepare()
    began = time.perf_counter()
    handler(dict(event), Context())
    return time.perf_counter() - began
from portfolio_api.db.client import close_connections
warm = statistics.median(timed() for _ in range(200))
reconnecting = statistics.median(timed(close_connections) for _ in range(50))
print(json.dumps({"first": first, "warm": warm, "reconnecting": reconnecting,
                  "hooks": [len(before), len(after)]}))
"""
)


def python(script: str, paths: list[Path], runtime: Path, *args: str, env: dict[str, str]) -> Any:
    """Run a probe in a fresh interpreter set up as on Lambda; its figures."""
    command = [sys.executable, "-I", "-S", "-B", "-c", script, ":".join(map(str, paths))]
    result = run([*command, str(runtime), *args], env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])
