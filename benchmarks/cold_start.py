"""Cold start, warm cost, memory and the SnapStart restore path, as ratios to a Powertools peer.

Run on demand (never part of the test suite; absolute figures depend on the machine):

    uv run python benchmarks/cold_start.py [--rounds 30] [--baseline REV]

What is compared, all in the Lambda package layout (layout.py):

- the project's handler, `portfolio_api.lambda_handler`, built from this checkout by the
  Makefile, its cursor secret read from Secrets Manager at init (`CURSOR_SECRET_ARN`), as deployed;
- the same handler given the secret in `CURSOR_SECRET` ("env"), for the read's cold-start cost;
- with `--baseline REV`, the same handler as built from an earlier revision (given
  `CURSOR_SECRET` too: a revision before the read ignores `CURSOR_SECRET_ARN`);
- the peer, `peer_powertools.py`: a hand-tuned Powertools `APIGatewayRestResolver` app
  (`enable_validation=True`) doing the same work (`peer_work.py`: the same secret read at
  init, the same Query on the same table, the same JWT verification and revocation
  BatchGetItem on the owner's request), whose body and ETag are checked byte for byte against
  the project's in every round;
- the framework floor, `peer_fastapi.py`: FastAPI through Mangum doing the peer's work, one
  validated route and nothing else: what FastAPI + Mangum cost by themselves;
- the floor, `floor_boto3.py`: boto3 clients, the same secret read and Query, no framework.

Both requests are `GET /v1/blog/posts?limit=10`, the public one anonymous, the owner's with
`status=all` and an ID token (stand_in.py seeds moto through the project's own API).

- Cold: every target starts in a fresh interpreter, the targets shuffled in every round; the
  figure is init plus the first answer, and the ratio is taken per round.
- Warm: one process loads the apps and calls them in turn, the order rotating every call, so
  the machine's noise falls on all alike; the ratio is taken per round of calls.
- Memory: the peak resident size of each cold start, ratio per round.
- Restore: with a stand-in for the runtime's `snapshot_restore_py`, the handler is imported,
  the before-snapshot hooks run, then the after-restore hooks, then the first request is timed
  against the warm requests of the same process.

Every figure is a median with its quartiles over the rounds.
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import layout
import probes
import stand_in

Target = tuple[list[Path], str, dict[str, Any], dict[str, str]]
"""The package directories, the handler's module, the event, the environment."""


def _spread(values: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return median, q1, q3


def _row(label: str, ratios: list[float], detail: str = "") -> str:
    median, q1, q3 = _spread(ratios)
    return f"| {label} | **{median:.2f}x** | {q1:.2f} to {q3:.2f} | {detail} |"


def _ms(values: list[float], digits: int = 0) -> str:
    median, q1, q3 = _spread(values)
    return f"{median * 1e3:.{digits}f} ms ({q1 * 1e3:.{digits}f} to {q3 * 1e3:.{digits}f})"


def _us(values: list[float]) -> str:
    median, q1, q3 = _spread(values)
    return f"{median * 1e6:.0f} us ({q1 * 1e6:.0f} to {q3 * 1e6:.0f})"


def measure_cold(
    targets: dict[str, Target], runtime: Path, rounds: int
) -> dict[str, list[dict[str, Any]]]:
    """Every target once per round, in a fresh interpreter, in a new random order each round."""
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    order = list(targets)
    for name in order:  # one unmeasured start each: the proxy meets every request once
        paths, module, event, env = targets[name]
        probes.python(probes.COLD, paths, runtime, module, json.dumps(event), env=env)
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            paths, module, event, env = targets[name]
            figures = probes.python(probes.COLD, paths, runtime, module, json.dumps(event), env=env)
            assert figures["status"] == 200, (name, figures)
            results[name].append(figures)
        for name, figures in results.items():
            kind = name.split()[-1]
            if not name.startswith("floor"):  # every other answer is the project's, to the byte
                expected = results[f"ours {kind}"][-1]
                assert (figures[-1]["body"], figures[-1]["etag"]) == (
                    expected["body"],
                    expected["etag"],
                ), (name, figures[-1], expected)
    return results


def measure_warm(
    project: Path, peer: Path, runtime: Path, events: dict[str, Any], env: dict[str, str],
    args: argparse.Namespace,
) -> dict[str, dict[str, list[float]]]:  # fmt: skip
    """Per kind of request, each app's median warm call per round, all in one process."""
    apps = {
        "ours": layout.handler_module(project),
        "peer": "peer_powertools",
        "fastapi": "peer_fastapi",
        "floor": "floor_boto3",
    }
    figures: dict[str, dict[str, list[float]]] = probes.python(
        probes.WARM, [project, peer], runtime, json.dumps(events), json.dumps(apps),
        str(args.warm_rounds), str(args.calls), env=env,
    )  # fmt: skip
    return figures


def main() -> None:
    """Build, seed, measure, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="cold-start rounds")
    parser.add_argument("--warm-rounds", type=int, default=20, help="rounds of warm calls")
    parser.add_argument("--calls", type=int, default=100, help="warm calls per app per round")
    parser.add_argument("--restores", type=int, default=15, help="restore-path runs")
    parser.add_argument("--baseline", help="a git revision to measure alongside, as 'before'")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        work = Path(scratch)
        print("building the packages for this host ...", file=sys.stderr, flush=True)
        ours = layout.project(work / "project")
        base = layout.project_at(args.baseline, work / "baseline") if args.baseline else None
        peer = layout.peer(work / "peer")
        runtime = layout.runtime(work / "runtime")
        print("seeding moto on loopback through the project's API ...", file=sys.stderr)
        environment = stand_in.start()
        token = environment.pop("ID_TOKEN")
        env = {"PATH": os.environ.get("PATH", ""), **environment}
        given = {**env, "CURSOR_SECRET": stand_in.CURSOR_SECRET}  # read from it, not fetched
        events = {
            "public": stand_in.api_event({"limit": "10"}, {}),
            "owner": stand_in.api_event(
                {"limit": "10", "status": "all"}, {"Authorization": f"Bearer {token}"}
            ),
        }
        targets: dict[str, Target] = {}
        for kind, event in events.items():
            targets[f"ours {kind}"] = ([ours], layout.handler_module(ours), event, env)
            targets[f"peer {kind}"] = ([peer], "peer_powertools", event, env)
            targets[f"fastapi {kind}"] = ([peer, ours], "peer_fastapi", event, env)
            if base:
                targets[f"base {kind}"] = ([base], layout.handler_module(base), event, given)
        targets["env public"] = ([ours], layout.handler_module(ours), events["public"], given)
        # A bot's visit, never counted, so every start answers the same: the bot filter's first
        # use and the metric it counts (the first flush) are on this path.
        visit = stand_in.visit_event("Mozilla/5.0 (compatible; bingbot/2.0)")
        targets["ours visit"] = ([ours], layout.handler_module(ours), visit, env)
        if base:
            targets["base visit"] = ([base], layout.handler_module(base), visit, given)
        targets["floor public"] = ([peer], "floor_boto3", events["public"], env)
        print(f"{args.rounds} rounds of cold starts ...", file=sys.stderr, flush=True)
        cold = measure_cold(targets, runtime, args.rounds)
        print("warm calls, in turn in one process ...", file=sys.stderr, flush=True)
        warm = {"ours": measure_warm(ours, peer, runtime, events, env, args)}
        if base:
            warm["base"] = measure_warm(base, peer, runtime, events, given, args)
        print("the restore path ...", file=sys.stderr, flush=True)
        handler, public = layout.handler_module(ours), json.dumps(events["public"])
        restores = [
            probes.python(probes.RESTORE, [ours], runtime, handler, public, env=env)
            for _ in range(args.restores)
        ]
    print_tables(cold, warm, restores, args)


def print_tables(
    cold: dict[str, list[dict[str, Any]]],
    warm: dict[str, dict[str, dict[str, list[float]]]],
    restores: list[dict[str, Any]],
    args: argparse.Namespace,
) -> None:
    """The README's tables: ratios per round, median and quartiles; absolutes for context only."""

    def cold_ratios(one: str, other: str, field: str = "cold") -> list[float]:
        return [a[field] / b[field] for a, b in zip(cold[one], cold[other], strict=True)]

    def cold_values(name: str, field: str = "cold") -> list[float]:
        return [figures[field] for figures in cold[name]]

    def warm_ratios(project: str, kind: str, one: str, other: str) -> list[float]:
        medians = warm[project][kind]
        return [a / b for a, b in zip(medians[one], medians[other], strict=True)]

    def mib(name: str) -> str:
        return f"{statistics.median(cold_values(name, 'peak')) / 1024:.1f} MiB"

    print(
        f"\n{args.rounds} cold rounds; {args.warm_rounds} warm rounds of {args.calls} calls per"
        f" app; {args.restores} restores. Ratios per round: median, quartiles.\n"
    )
    print("| figure | project / Powertools | quartiles | project, peer (context only) |")
    print("|---|---|---|---|")
    for kind in ("public", "owner"):
        detail = f"{_ms(cold_values(f'ours {kind}'))}, {_ms(cold_values(f'peer {kind}'))}"
        print(_row(f"cold start to the first {kind} answer", cold_ratios(f"ours {kind}",
                   f"peer {kind}"), detail))  # fmt: skip
    for kind in ("public", "owner"):
        medians = warm["ours"][kind]
        detail = f"{_us(medians['ours'])}, {_us(medians['peer'])}"
        print(_row(f"warm request, {kind}", warm_ratios("ours", kind, "ours", "peer"), detail))
    detail = f"{mib('ours public')}, {mib('peer public')}"
    print(_row("peak memory", cold_ratios("ours public", "peer public", "peak"), detail))

    print("\n| where the time goes | ratio | quartiles | context |")
    print("|---|---|---|---|")
    read = [a["cold"] - b["cold"] for a, b in zip(cold["ours public"], cold["env public"],
            strict=True)]  # fmt: skip
    print(_row("cold public: secret from Secrets Manager / given in the environment",
               cold_ratios("ours public", "env public"), f"difference {_ms(read, 1)}"))  # fmt: skip
    for kind in ("public", "owner"):
        print(_row(f"cold {kind}: FastAPI + Mangum floor / Powertools",
                   cold_ratios(f"fastapi {kind}", f"peer {kind}")))  # fmt: skip
        print(_row(f"cold {kind}: project / FastAPI + Mangum floor",
                   cold_ratios(f"ours {kind}", f"fastapi {kind}")))  # fmt: skip
    for kind in ("public", "owner"):
        print(_row(f"warm {kind}: FastAPI + Mangum floor / Powertools",
                   warm_ratios("ours", kind, "fastapi", "peer")))  # fmt: skip
        print(_row(f"warm {kind}: project / FastAPI + Mangum floor",
                   warm_ratios("ours", kind, "ours", "fastapi")))  # fmt: skip
    floor = f"floor {_ms(cold_values('floor public'))}"
    print(_row("cold public: project / boto3 floor", cold_ratios("ours public", "floor public"),
               floor))  # fmt: skip
    print(_row("cold public: Powertools / boto3 floor",
               cold_ratios("peer public", "floor public")))  # fmt: skip
    floor = f"floor {_us(warm['ours']['public']['floor'])}"
    print(_row("warm public: project / boto3 floor", warm_ratios("ours", "public", "ours",
               "floor"), floor))  # fmt: skip

    hooks = restores[0]["hooks"]
    registered = f"hooks: {hooks[0]} before snapshot, {hooks[1]} after restore"
    print("\n| SnapStart restore path | ratio | quartiles | context |")
    print("|---|---|---|---|")
    print(_row("first request after restore / warm request",
               [r["first"] / r["warm"] for r in restores], registered))  # fmt: skip
    print(_row("first request after restore / warm request over a new connection",
               [r["first"] / r["reconnecting"] for r in restores],
               f"new connection {_us([r['reconnecting'] for r in restores])}"))  # fmt: skip

    if "base public" in cold:
        print(f"\n| before ({args.baseline}) and after | before | after | after / before |")
        print("|---|---|---|---|")
        for kind in ("public", "owner"):
            before, after = cold_ratios(f"base {kind}", f"peer {kind}"), cold_ratios(
                f"ours {kind}", f"peer {kind}")  # fmt: skip
            change = cold_ratios(f"ours {kind}", f"base {kind}")
            print(f"| cold {kind} / Powertools | {_spread(before)[0]:.2f}x |"
                  f" {_spread(after)[0]:.2f}x | {_spread(change)[0]:.2f}x |")  # fmt: skip
        visit = _spread(cold_ratios("ours visit", "base visit"))[0]
        print(f"| cold bot visit, after / before | | | {visit:.2f}x |")
        for kind in ("public", "owner"):
            before = warm_ratios("base", kind, "ours", "peer")
            after = warm_ratios("ours", kind, "ours", "peer")
            print(f"| warm {kind} / Powertools | {_spread(before)[0]:.2f}x |"
                  f" {_spread(after)[0]:.2f}x | |")  # fmt: skip
        before, after = cold_ratios("base public", "peer public", "peak"), cold_ratios(
            "ours public", "peer public", "peak")  # fmt: skip
        print(f"| peak memory / Powertools | {_spread(before)[0]:.2f}x |"
              f" {_spread(after)[0]:.2f}x | |")  # fmt: skip


if __name__ == "__main__":
    main()
