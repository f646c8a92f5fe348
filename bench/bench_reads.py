"""Benchmark of the public reads under load: gunicorn on PostgreSQL with Redis as the
cache, wrk on 127.0.0.1, against a bare DRF view in the same run.

Cases, each for ``--duration`` seconds (default 20, in 5 interleaved ``--slices``)
at ``--connections`` (32) keep-alive connections, every request from a new visitor (its
own ``X-Visitor-Id`` and ``X-Forwarded-For`` address, as when a share link goes round):

(a) ``GET /bench/bare/``: a DRF view doing no work (bench/votes/views.py);
    then the API's entries list (first page and page 3), an entry, the leaderboard,
    the campaign detail, ``/s/{share_code}``, and the student site's campaign and entry
    pages, on the demo data (``manage.py seed_demo``) plus approved entries up to
    ``ENTRIES`` in its open contest, with a leaderboard snapshot.

It prints req/s, p50/p99 and the CPU one request costs gunicorn, PostgreSQL and Redis,
and each ratio to (a). Target: every read >= 0.5x (a) by rate and by CPU per request,
and its p99 <= 3x (a)'s (PASS or MISS: a benchmark, not a test, a MISS exits 0). Then
it writes the buffered visits as the task ``voting.visits_flush`` does (timed), and
checks the database: per case, the visits stored = the visitors the server answered
(counted by bench/reads/middleware.py; none lost), one row each (none doubled); a
failed check exits 1.

Run it with ``make bench-reads`` (``--help`` for the options). Like bench/bench_votes.py
it starts a throw-away PostgreSQL 15 cluster (``PG_BIN``; or ``BENCH_DATABASE_URL``) and
a throw-away Redis, and needs Debian's ``wrk`` and ``redis-server`` (installed with
apt-get when missing and run as root; otherwise it says what to install). About four
minutes.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.bench_votes import (  # noqa: E402
    CpuMeter,
    Load,
    Slice,
    cpu_seconds,
    ensure_tool,
    given_database,
    gunicorn,
    throwaway_redis,
    tree_cpu_seconds,
    worker_pids,
)
from bench.pgcluster import throwaway_cluster  # noqa: E402

LUA = ROOT / "bench" / "reads" / "load.lua"
ENTRIES = 60  # approved entries in the measured contest: page 3 of 20 exists
TARGET_RATE = 0.5
TARGET_CPU = 0.5
TARGET_P99 = 3.0


@dataclass(frozen=True)
class Case:
    key: str  # also the visitor ids' prefix: bench-<key>-...
    label: str
    path: str  # "{id}" is replaced by the ids in turn
    ids: str = ""
    visit: str | None = None  # what the request records: "campaign", "entry", "share"


def seed() -> tuple[str, list[int], list[str]]:
    """The demo data, then the demo's open contest topped up to ENTRIES approved entries
    (sharing the demo photos' files) and a snapshot; returns its slug, entry ids and
    share codes."""
    from django.core.management import call_command
    from django.db.models import Count, Q

    from campaigns.models import Campaign
    from core.codes import new_code
    from voting.models import Entry
    from voting.services.leaderboards import leaderboard_refresh_campaign

    call_command("seed_demo", verbosity=0, stdout=io.StringIO())
    campaign = (
        Campaign.objects.filter(status=Campaign.Status.OPEN, kind=Campaign.Kind.CONTEST)
        .annotate(shown=Count("entries", filter=Q(entries__status=Entry.Status.APPROVED)))
        .order_by("-shown")
        .first()
    )
    shown = list(Entry.objects.filter(campaign=campaign, status=Entry.Status.APPROVED))
    model = shown[0]
    Entry.objects.bulk_create(
        Entry(
            campaign=campaign,
            round=model.round,
            name=f"选手{n}",
            caption="基准测试",
            status=Entry.Status.APPROVED,
            share_code=new_code(),
            photo=model.photo.name,
            thumbnail=model.thumbnail.name,
            preview=model.preview.name,
        )
        for n in range(len(shown), ENTRIES)
    )
    leaderboard_refresh_campaign(campaign_id=campaign.pk)
    entries = Entry.objects.filter(campaign=campaign, status=Entry.Status.APPROVED)
    ids = list(entries.values_list("pk", flat=True))
    codes = list(entries.values_list("share_code", flat=True))
    return campaign.slug, ids, codes


def cases(slug: str, ids: list[int], codes: list[str]) -> list[Case]:
    api = f"/api/v1/campaigns/{slug}"
    some_ids = ",".join(map(str, ids[:30]))
    return [
        Case("bare", "(a) bare DRF view", "/bench/bare/"),
        Case("list1", "API entries, page 1", f"{api}/entries/", visit="campaign"),
        Case("list3", "API entries, page 3", f"{api}/entries/?page=3", visit="campaign"),
        Case("entry", "API entry", f"{api}/entries/{{id}}/", some_ids, visit="entry"),
        Case("board", "API leaderboard", f"{api}/leaderboard/"),
        Case("detail", "API campaign detail", f"{api}/", visit="campaign"),
        Case("share", "/s/{code}", "/s/{id}", ",".join(codes[:30]), visit="share"),
        Case("site", "site campaign page", f"/c/{slug}/", visit="campaign"),
        Case("sitee", "site entry page", f"/c/{slug}/e/{{id}}/", some_ids, visit="entry"),
    ]


def run_wrk(
    wrk: str,
    base: str,
    case: Case,
    *,
    run: str,
    seconds: float,
    connections: int,
    threads: int,
    work: Path,
    meter: CpuMeter,
) -> Slice:
    hist_file = work / "histogram"
    env = {**os.environ, "BENCH_HIST_FILE": str(hist_file)}
    command = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds:.0f}s"]
    command += ["--timeout", "10s", "-s", str(LUA), base, "--", case.key, run, case.path]
    command += [case.ids] if case.ids else []
    app_before, db_before, cache_before = meter.read()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    app_after, db_after, cache_after = meter.read()
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if line is None:
        sys.exit(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("BENCH_RESULT "))
    histogram = {}
    for row in hist_file.read_text().splitlines():
        value, count = map(int, row.split())
        histogram[value] = count
    return Slice(
        requests=result["requests"],
        seconds=result["duration_us"] / 1e6,
        ok=result["ok"],
        conflict=0,
        other=result["other"],
        socket_errors=result["socket_errors"],
        histogram=histogram,
        cpu_app=app_after - app_before,
        cpu_db=None if db_before is None else db_after - db_before,
        cpu_cache=cache_after - cache_before,
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=20, help="seconds per case (20)")
    parser.add_argument(
        "--slices",
        type=int,
        default=5,
        help="interleaved slices per case (5): a change in the machine's other load hits "
        "every case alike",
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=16, help="threads per worker (16)")
    return parser.parse_args()


def main() -> int:
    options = parse_args()
    wrk = ensure_tool("wrk", "wrk")
    started = time.monotonic()
    url = os.environ.get("BENCH_DATABASE_URL")
    slice_seconds = max(1, options.duration // options.slices)
    with (
        given_database(url)
        if url
        else throwaway_cluster(
            database="bench_reads", options="-c max_connections=200 -c shared_buffers=256MB"
        ) as cluster,
        tempfile.TemporaryDirectory(prefix="bench-reads-") as tmp,
        throwaway_redis(Path(tmp)) as (cache_url, redis_pid),
    ):
        work = Path(tmp)
        env = {
            **os.environ,
            "DATABASE_URL": cluster.url,
            "CACHE_URL": cache_url,
            "DJANGO_SETTINGS_MODULE": "bench.reads.settings",
            "VAR_DIR": str(work / "var"),
            "MEDIA_ROOT": str(work / "var" / "media"),
            "PRIVATE_MEDIA_ROOT": str(work / "var" / "private"),
            "PYTHONPATH": str(ROOT),
            "LOG_LEVEL": "WARNING",
            "SECURE_SSL_REDIRECT": "0",
            "NUM_PROXIES": "1",  # wrk's X-Forwarded-For: a visitor per address
        }
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print("seeding: the demo data (manage.py seed_demo) ...", flush=True)
        seeding = time.monotonic()
        slug, ids, codes = seed()
        print(f"seeded in {time.monotonic() - seeding:.0f} s: {len(ids)} entries", flush=True)
        measured = cases(slug, ids, codes)
        loads = {case.key: Load(case.label) for case in measured}
        load = {"connections": options.connections, "threads": options.wrk_threads}
        with gunicorn(
            env=env, workers=options.workers, threads=options.threads, log=work / "gunicorn.log"
        ) as (base, master):
            meter = CpuMeter(
                gunicorn_master=master, postmaster=cluster.postmaster_pid or None, redis=redis_pid
            )
            print("warm-up: 1 s of each case ...", flush=True)
            for case in measured:
                run_wrk(wrk, base, case, run="w", seconds=1, work=work, meter=meter, **load)
            print(
                f"measuring: {options.slices} x {slice_seconds} s of each case, interleaved ...",
                flush=True,
            )
            for n in range(options.slices):
                for case in measured:
                    loads[case.key].slices.append(
                        run_wrk(
                            wrk,
                            base,
                            case,
                            run=str(n),
                            seconds=slice_seconds,
                            work=work,
                            meter=meter,
                            **load,
                        )
                    )
            workers = worker_pids(master)
            server_log = (work / "gunicorn.log").read_text()
        served: dict[str, Counter[str]] = {}
        for pid in workers:
            counts = work / "var" / f"read-responses-{pid}.json"
            if counts.exists():
                for key, statuses in json.loads(counts.read_text()).items():
                    served.setdefault(key, Counter()).update(statuses)

        # What the periodic task does, timed: all the buffered visits at once.
        from voting.models import Visit
        from voting.services.traffic import visits_flush, visits_pending

        pending = visits_pending()
        db_before = tree_cpu_seconds(cluster.postmaster_pid) if cluster.postmaster_pid else 0
        cpu_before, flush_started = cpu_seconds([os.getpid()]), time.monotonic()
        written = visits_flush()
        flush_seconds = time.monotonic() - flush_started
        flush_cpu = cpu_seconds([os.getpid()]) - cpu_before
        if cluster.postmaster_pid:
            flush_cpu += tree_cpu_seconds(cluster.postmaster_pid) - db_before
        stored = {
            case.key: (
                Visit.objects.filter(visitor_id__startswith=f"bench-{case.key}-").count(),
                Visit.objects.filter(visitor_id__startswith=f"bench-{case.key}-")
                .values("visitor_id")
                .distinct()
                .count(),
            )
            for case in measured
        }
        left = visits_pending()

    bare = loads["bare"]
    print()
    print(
        f"{options.connections} connections, {options.duration} s per case in {options.slices} "
        f"slices, gunicorn {options.workers} workers x {options.threads} threads, wrk "
        f"{options.wrk_threads} threads, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'case':<22} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/req: web':>16} "
        f"{'pg':>5} {'redis':>5} {'total':>6} {'rate/a':>7} {'a/CPU':>6} {'p99/a':>6}  target"
    )
    misses = 0
    cpu_a = bare.cpu_ms_per_request_total() or 0.0
    for key, r in loads.items():
        total = r.cpu_ms_per_request_total()
        rate_ratio = r.rate / bare.rate
        cpu_ratio = cpu_a / total if total else float("nan")
        p99_ratio = r.percentile_ms(99) / bare.percentile_ms(99)
        ok = rate_ratio >= TARGET_RATE and cpu_ratio >= TARGET_CPU and p99_ratio <= TARGET_P99
        misses += key != "bare" and not ok
        db = r.cpu_ms_per_request("cpu_db")
        print(
            f"{r.label:<22} {r.rate:7.0f} {r.percentile_ms(50):7.1f} {r.percentile_ms(99):7.1f} "
            f"{r.cpu_ms_per_request('cpu_app'):16.2f} "
            + (f"{db:5.2f}" if db is not None else f"{'n/a':>5}")
            + f" {r.cpu_ms_per_request('cpu_cache'):5.2f} "
            + (f"{total:6.2f}" if total is not None else f"{'n/a':>6}")
            + f" {rate_ratio:7.2f} {cpu_ratio:6.2f} {p99_ratio:6.2f}  "
            + ("" if key == "bare" else ("PASS" if ok else "MISS"))
        )
    print(
        f"\ntargets: rate/a >= {TARGET_RATE}, a/CPU (CPU per request of (a) over the case's) "
        f">= {TARGET_CPU}, p99/a <= {TARGET_P99}: "
        + ("all PASS" if not misses else f"{misses} MISS")
    )
    print(
        f"visits flush (voting.visits_flush): {written} rows of {pending} buffered in "
        f"{flush_seconds:.2f} s, {1000 * flush_cpu / max(written, 1):.3f} ms CPU per row "
        "(this process + PostgreSQL)"
    )

    print("\nchecks after the run (database):")
    correct = True

    def verdict(ok: bool, text: str) -> None:
        nonlocal correct
        correct = correct and ok
        print(f"  {'ok  ' if ok else 'FAIL'} {text}")

    for case in measured:
        rows, distinct = stored[case.key]
        answered = sum(
            n for status, n in served.get(case.key, Counter()).items() if int(status) < 400
        )
        expected = answered if case.visit else 0
        verdict(
            rows == expected and rows == distinct,
            f"{case.label}: visits stored {rows} (distinct visitors {distinct}) = "
            f"{'visitors answered' if case.visit else 'none recorded'} {expected} "
            f"(wrk read {loads[case.key].ok})",
        )
    verdict(left == 0, f"nothing left in the buffer after the flush: {left}")
    failed = sum(r.failed for r in loads.values())
    verdict(failed == 0, f"no response >= 400, no socket error: {failed}")
    if "Traceback" in server_log or " ERROR " in server_log:
        verdict(False, "gunicorn logged errors:\n" + server_log[-3000:])
    print(f"\ntotal {time.monotonic() - started:.0f} s")
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
