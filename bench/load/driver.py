"""The simulated visitors: ``--users`` threads, each repeating a request chosen from the mix and
pausing about ``--think`` seconds (uniform ±50 %), for ``--duration`` seconds, against ``--base``
(loopback only). Prints count, p50/p95/p99 and errors per kind of request, as text and JSON."""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

WORDS = ["robot", "chip", "valve", "battery", "sensor", "vaccine", "laser", "image", "机器人", "芯片", "电池", "瓣膜"]
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

    def __init__(self, n: int, base: str, session: dict[str, str] | None, plan: dict[str, object], stop_at: float, think: float, record: object) -> None:
        super().__init__(daemon=True)
        self.rng = random.Random(n)
        parts = urlsplit(base)
        assert parts.hostname in {"127.0.0.1", "localhost", "::1"}, "the benchmark drives loopback only"
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
            return "list", rng.choice([f"/en/results/?page={page}", f"/zh-hans/results/?field={rng.choice(['ai', 'ic', 'biomedicine'])}&page={page}", "/en/organisations/" if signed_in else "/en/results/"])
        if roll < 0.55:
            return "detail", f"/en/results/{rng.choice(ids)}/"
        if roll < 0.70:
            return "search", f"/en/search/?q={rng.choice(WORDS)}"
        if roll < 0.80:
            return "api", rng.choice(["/api/v1/results/", f"/api/v1/results/{rng.choice(ids)}/", "/api/v1/results/?field=ai"])
        demand_ids: list[int] = plan.get("demand_ids") or []  # type: ignore[assignment]
        if roll < 0.90 and demand_ids and self.session and self.session["role"] == "manager":
            return "match", f"/en/demands/{rng.choice(demand_ids)}/matches/"
        if signed_in:
            return "dashboard", "/en/dashboard/"
        return "list", "/en/results/"

    def run(self) -> None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {"Accept-Language": "en"}
        if self.session:
            headers["Cookie"] = f"sessionid={self.session['sessionid']}"
        time.sleep(self.rng.uniform(0, self.think))  # spread the start
        while time.monotonic() < self.stop_at:
            kind, path = self.request()
            while kind in self.skip:
                kind, path = self.request()
            started = time.perf_counter()
            status = 0
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except Exception:  # noqa: BLE001 - counted as an error
                conn.close()
                conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            elapsed = (time.perf_counter() - started) * 1000
            self.record(kind, path, status, elapsed)  # type: ignore[operator]
            time.sleep(self.think * self.rng.uniform(0.5, 1.5))
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="http://127.0.0.1:8765")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--plan", type=Path, required=True, help="JSON: sessions, result_ids, demand_ids")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--skip", default="", help="kinds to leave out, comma-separated (e.g. search,match)")
    args = parser.parse_args()
    plan = json.loads(args.plan.read_text())
    sessions = plan["sessions"]
    lock = threading.Lock()
    samples: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)

    def record(kind: str, path: str, status: int, ms: float) -> None:
        with lock:
            samples[kind].append(ms)
            if status != 200:
                errors[kind].append(f"{status} {path}")

    Visitor.skip = frozenset(k for k in args.skip.split(",") if k)
    stop_at = time.monotonic() + args.duration
    # Two visitors in five are anonymous; the others are signed in (managers, inventors, enterprises).
    visitors = [Visitor(i, args.base, None if i % 5 in (0, 1) else sessions[i % len(sessions)], plan, stop_at, args.think, record) for i in range(args.users)]
    for v in visitors:
        v.start()
    for v in visitors:
        v.join()
    report = {}
    print(f"{'kind':<10} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'target p95':>10}")
    every: list[float] = []
    for kind in sorted(samples):
        values = samples[kind]
        every += values
        row = {"requests": len(values), "p50": round(percentile(values, 50), 1), "p95": round(percentile(values, 95), 1),
               "p99": round(percentile(values, 99), 1), "errors": len(errors[kind]), "target_p95": TARGETS_MS.get(kind)}
        report[kind] = row
        print(f"{kind:<10} {row['requests']:>8} {row['p50']:>8} {row['p95']:>8} {row['p99']:>8} {row['errors']:>7} {row['target_p95'] or '':>10}")
    total_errors = sum(len(e) for e in errors.values())
    print(f"{'all':<10} {len(every):>8} {percentile(every, 50):>8.1f} {percentile(every, 95):>8.1f} {percentile(every, 99):>8.1f} {total_errors:>7}")
    print(f"throughput: {len(every) / args.duration:.1f} requests/s over {args.duration:.0f} s, mean {statistics.fmean(every) if every else 0:.1f} ms")
    for kind, items in errors.items():
        for item in items[:5]:
            print(f"error [{kind}]: {item}")
    if args.json:
        args.json.write_text(json.dumps({"kinds": report, "requests": len(every), "errors": total_errors}, indent=2))


if __name__ == "__main__":
    main()
