"""The simulated visitors: ``--users`` threads, each repeating a request chosen from the mix and
pausing about ``--think`` seconds (uniform ±50 %), for ``--duration`` seconds, against ``--base``
(loopback only). Prints, per kind of request: count, p50/p95/p99, failures (an HTTP status other
than 200, a refused or reset connection) and timeouts (no complete answer within ``--timeout``
seconds; counted at that time), and whether the p95 meets its target; as text and JSON.
Exits with status 1 when a target is missed or any request failed or timed out."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote, urlsplit

WORDS = [
    "robot",
    "chip",
    "valve",
    "battery",
    "sensor",
    "vaccine",
    "laser",
    "image",
    "机器人",
    "芯片",
    "电池",
    "瓣膜",
]
TARGETS_MS = {"list": 200, "detail": 200, "api": 200, "search": 400, "match": 400, "dashboard": 400}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class Visitor(threading.Thread):
    skip: frozenset[str] = frozenset()

    timeout: float = 30.0

    def __init__(
        self,
        n: int,
        base: str,
        session: dict[str, str] | None,
        plan: dict[str, object],
        stop_at: float,
        think: float,
        record: object,
    ) -> None:
        super().__init__(daemon=True)
        self.rng = random.Random(n)
        parts = urlsplit(base)
        assert parts.hostname in {"127.0.0.1", "localhost", "::1"}, (
            "the benchmark drives loopback only"
        )
        self.host, self.port = parts.hostname, parts.port or 80
        self.session = session
        self.plan = plan
        self.stop_at = stop_at
        self.think = think
        self.record = record

    def request(self) -> tuple[str, str]:
        rng, plan = self.rng, self.plan
        ids: list[int] = plan["result_ids"]  # type: ignore[assignment]
        roll = rng.random()
        signed_in = self.session is not None
        if roll < 0.30:
            page = rng.randint(1, 50)
            return "list", rng.choice(
                [
                    f"/en/results/?page={page}",
                    f"/zh-hans/results/?field={rng.choice(['ai', 'ic', 'biomedicine'])}&page={page}",
                    "/en/organisations/" if signed_in else "/en/results/",
                ]
            )
        if roll < 0.55:
            return "detail", f"/en/results/{rng.choice(ids)}/"
        if roll < 0.70:
            return "search", f"/en/search/?q={quote(rng.choice(WORDS))}"
        if roll < 0.80:
            return "api", rng.choice(
                [
                    "/api/v1/results/",
                    f"/api/v1/results/{rng.choice(ids)}/",
                    "/api/v1/results/?field=ai",
                ]
            )
        demand_ids: list[int] = plan.get("demand_ids") or []  # type: ignore[assignment]
        if roll < 0.90 and demand_ids and self.session and self.session["role"] == "manager":
            return "match", f"/en/demands/{rng.choice(demand_ids)}/matches/"
        if signed_in:
            return "dashboard", "/en/dashboard/"
        return "list", "/en/results/"

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def run(self) -> None:
        conn = self._connect()
        headers = {"Accept-Language": "en"}
        if self.session:
            headers["Cookie"] = f"sessionid={self.session['sessionid']}"
        time.sleep(self.rng.uniform(0, self.think))  # spread the start
        reused = False  # the connection has served a request (keep-alive)
        while time.monotonic() < self.stop_at:
            kind, path = self.request()
            while kind in self.skip:
                kind, path = self.request()
            started = time.perf_counter()
            outcome = "ok"
            for attempt in (1, 2):
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    if response.status != 200:
                        outcome = f"HTTP {response.status}"
                except TimeoutError:
                    outcome = "timeout"
                except (
                    http.client.RemoteDisconnected,
                    ConnectionResetError,
                    BrokenPipeError,
                ) as exc:
                    # The server closed an idle keep-alive connection as the request went out: a
                    # browser sends an idempotent GET again on a new connection (RFC 9112 §9.3.1),
                    # once; the time counts from the first attempt.
                    conn.close()
                    conn = self._connect()
                    if attempt == 1 and reused:
                        reused = False
                        continue
                    outcome = f"{type(exc).__name__}"
                except (OSError, http.client.HTTPException) as exc:
                    outcome = f"{type(exc).__name__}"
                break
            reused = outcome == "ok"
            if outcome != "ok":
                conn.close()
                conn = self._connect()
            elapsed = (time.perf_counter() - started) * 1000
            self.record(kind, path, outcome, elapsed)  # type: ignore[operator]
            time.sleep(self.think * self.rng.uniform(0.5, 1.5))
        conn.close()


def summarise(
    samples: dict[str, list[float]],
    failures: dict[str, list[str]],
    timeouts: dict[str, int],
    seconds: float,
) -> dict[str, object]:
    kinds = {}
    every: list[float] = []
    for kind in sorted(samples):
        values = samples[kind]
        every += values
        target = TARGETS_MS.get(kind)
        p95 = percentile(values, 95)
        kinds[kind] = {
            "requests": len(values),
            "p50": round(percentile(values, 50), 1),
            "p95": round(p95, 1),
            "p99": round(percentile(values, 99), 1),
            "failures": len(failures[kind]),
            "timeouts": timeouts[kind],
            "target_p95": target,
            "meets_target": target is not None
            and p95 <= target
            and not failures[kind]
            and not timeouts[kind],
        }
    return {
        "kinds": kinds,
        "requests": len(every),
        "failures": sum(len(f) for f in failures.values()),
        "timeouts": sum(timeouts.values()),
        "p50": round(percentile(every, 50), 1),
        "p95": round(percentile(every, 95), 1),
        "p99": round(percentile(every, 99), 1),
        "throughput_rps": round(len(every) / seconds, 1) if seconds else 0.0,
        "seconds": round(seconds, 1),
    }


def print_report(report: dict[str, object]) -> None:
    kinds: dict[str, dict[str, object]] = report["kinds"]  # type: ignore[assignment]
    print(
        f"{'kind':<10} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'failures':>8} {'timeouts':>8} {'target p95':>10}  verdict"
    )
    for kind, row in kinds.items():
        verdict = "" if row["target_p95"] is None else ("ok" if row["meets_target"] else "MISSED")
        print(
            f"{kind:<10} {row['requests']:>8} {row['p50']:>8} {row['p95']:>8} {row['p99']:>8} {row['failures']:>8} {row['timeouts']:>8} {row['target_p95'] or '':>10}  {verdict}"
        )
    print(
        f"{'all':<10} {report['requests']:>8} {report['p50']:>8} {report['p95']:>8} {report['p99']:>8} {report['failures']:>8} {report['timeouts']:>8}"
    )
    print(f"throughput: {report['throughput_rps']} requests/s over {report['seconds']} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="http://127.0.0.1:8765")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds before a request counts as timed out"
    )
    parser.add_argument(
        "--plan", type=Path, required=True, help="JSON: sessions, result_ids, demand_ids"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--skip", default="", help="kinds to leave out, comma-separated (e.g. search,match)"
    )
    parser.add_argument(
        "--trace",
        type=Path,
        help="also write one line per request: start (Unix seconds), ms, kind, path",
    )
    args = parser.parse_args()
    plan = json.loads(args.plan.read_text())
    sessions = plan["sessions"]
    lock = threading.Lock()
    samples: dict[str, list[float]] = defaultdict(list)
    failures: dict[str, list[str]] = defaultdict(list)
    timeouts: dict[str, int] = defaultdict(int)
    trace = args.trace.open("w", encoding="utf-8") if args.trace else None

    def record(kind: str, path: str, outcome: str, ms: float) -> None:
        with lock:
            samples[kind].append(ms)
            if trace is not None:
                trace.write(f"{time.time() - ms / 1000:.3f} {ms:.1f} {kind} {path}\n")
            if outcome == "timeout":
                timeouts[kind] += 1
            elif outcome != "ok":
                failures[kind].append(f"{outcome} {path}")

    Visitor.skip = frozenset(k for k in args.skip.split(",") if k)
    Visitor.timeout = args.timeout
    load_before = os.getloadavg()
    started = time.monotonic()
    stop_at = started + args.duration
    # Two visitors in five are anonymous; the others are signed in (managers, inventors, enterprises).
    visitors = [
        Visitor(
            i,
            args.base,
            None if i % 5 in (0, 1) else sessions[i % len(sessions)],
            plan,
            stop_at,
            args.think,
            record,
        )
        for i in range(args.users)
    ]
    for v in visitors:
        v.start()
    for v in visitors:
        v.join()
    report = summarise(samples, failures, timeouts, time.monotonic() - started)
    report.update(
        {
            "users": args.users,
            "think_s": args.think,
            "timeout_s": args.timeout,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        }
    )
    if trace is not None:
        trace.close()
    print_report(report)
    print(
        f"load average (1, 5, 15 min): before {report['load_average_before']}, after {report['load_average_after']}"
    )
    for kind, items in failures.items():
        for item in items[:5]:
            print(f"failure [{kind}]: {item}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
    kinds: dict[str, dict[str, object]] = report["kinds"]  # type: ignore[assignment]
    sys.exit(
        0
        if kinds
        and all(row["meets_target"] for row in kinds.values() if row["target_p95"] is not None)
        else 1
    )


if __name__ == "__main__":
    main()
