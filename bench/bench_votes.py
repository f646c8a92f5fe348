"""Benchmark of the vote endpoint under load: gunicorn on PostgreSQL, wrk on 127.0.0.1.

Measures in one run, each case for ``--duration`` seconds (default 20) at
``--connections`` (default 32) keep-alive connections:

(a) ``GET /bench/bare/``: a DRF view doing no database work (the stack's own cost);
(b) ``POST /bench/baseline/``: a serializer validates a JSON body and the ORM inserts one
    row into a table with a unique constraint (``voting.Activity``): the floor cost of
    "one vote = one write";
(c) ``POST /api/v1/campaigns/{slug}/entries/{id}/votes/``: the real vote endpoint, bearer
    token and all, with many distinct verified voters (tokens issued through
    ``voting.services.sign_in.voter_token_issue``, so stored hashed), each casting the 3
    votes a day of the campaign's policy (1 per entry a day) in quick succession, never
    two at once (bench/votes/load.lua says how); a voter's first vote also attributes
    them to the campaign, as for a new voter who came without a referral.

(a) and (b) exist only in the benchmark's URLs (bench/votes/). It prints requests/s, p50
and p99 of each, the ratios c/b and c/a (and b/c by CPU per request, which other load
on the machine moves less), how many queries one request of (b) and (c)
makes, the CPU one request costs gunicorn, PostgreSQL and Redis, then checks the database:
no voter over the daily or the per-entry limit, every 201 wrk received has its stored
valid vote (none lost), and the stored valid votes are exactly the 201s the server sent
(counted by bench/votes/middleware.py: wrk does not read the answers to the requests in
flight when its time is up). Target: c/b >= 0.8 and p99 of (c) < 100 ms, printed as
PASS or MISS (a benchmark, not a test: a MISS exits 0; a failed check exits 1). With
``--profile``, py-spy samples the workers during (c) and it prints where the Python CPU
goes.

Run it with ``make bench-votes`` (or ``.venv/bin/python bench/bench_votes.py``; ``--help``
for the options). It starts a throw-away PostgreSQL 15 cluster in a temporary directory
on a free port (binaries from ``PG_BIN``, default /usr/lib/postgresql/15/bin; as root it
runs them as the postgres user), unless ``BENCH_DATABASE_URL`` names a database to use
instead, whose name must contain "bench" as it is dropped and created afresh, and a
throw-away Redis as the cache (``CACHE_URL``), as in production: the throttles count in
it. It needs Debian's ``wrk`` and ``redis-server``: as root it installs them with apt-get
when missing. The whole run takes about two minutes.

gunicorn runs ``config.wsgi`` with ``bench.votes.settings``: the production settings
(DEBUG off, persistent connections with health checks), the per-IP vote throttle off
(all load comes from 127.0.0.1) and the per-voter one raised but active. Default
workers: 2 gthread workers x 16 threads (``--help`` says why: ``WORKER_CHOICE``).
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.pgcluster import Cluster, free_port, throwaway_cluster  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
LUA = ROOT / "bench" / "votes" / "load.lua"
PROFILE_FILE = ROOT / "var" / "bench_votes.profile.txt"

TARGET_RATIO = 0.8
TARGET_P99_MS = 100.0
VOTES_PER_DAY = 3
VOTES_PER_ENTRY_PER_DAY = 1
ENTRIES = 30
CAMPAIGN_SLUG = "bench-votes"

WORKER_CHOICE = """\
Why 2 gthread workers x 16 threads on 2 cores: a request waits on PostgreSQL (a vote:
the connection's health check, the token, the INSERT) and Redis (the throttle), and its
thread releases the GIL meanwhile, so threads overlap those waits while two processes
keep both cores busy; sync workers keep no connection alive and leave their core idle
during every round trip (65 votes/s when a vote was seven statements, against 135-180 for
2 x 16). Measured again once a vote was two statements (vote req/s, c/b; the machine's
load moves each figure by about 20 %): 2 x 16 378-431, 0.55-0.56; 4 x 8 514, 0.57;
6 x 4 445-560, 0.53-0.59; 8 x 2 435, 0.57. No layout is clearly better, and 2 x 16 gives
each of the 32 connections a thread."""


# --- Tools ----------------------------------------------------------------------------------


def ensure_tool(command: str, package: str) -> str:
    """A tool from Debian's packages; installed with apt-get when missing and we are root."""
    found = shutil.which(command)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(f"{command} is not installed: run `apt-get install -y {package}`, then retry.")
    print(f"{command} is not installed: installing Debian's {package} ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(install, env=env, check=True, stdout=subprocess.DEVNULL)
    found = shutil.which(command)
    if not found:
        sys.exit(f"apt-get did not provide {command}; install {package} and retry.")
    return found


@contextmanager
def throwaway_redis(work: Path) -> Iterator[tuple[str, int]]:
    """A Redis server on a free port for the cache, as in production (docs/deploy.md):
    the token cache and the throttles' counters; yields its URL and pid."""
    import redis

    server = ensure_tool("redis-server", "redis-server")
    port = free_port()
    command = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(work)]
    with open(work / "redis.log", "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            sys.exit(f"redis-server did not start:\n{(work / 'redis.log').read_text()}")
        yield f"redis://127.0.0.1:{port}/0", process.pid
    finally:
        process.terminate()
        process.wait()


@contextmanager
def given_database(url: str) -> Iterator[Cluster]:
    """BENCH_DATABASE_URL, dropped and created afresh (only a name with "bench")."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"BENCH_DATABASE_URL: refusing {name!r}: it is dropped and recreated")
    server = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    print(f"PostgreSQL: database {name!r} of BENCH_DATABASE_URL, created afresh")
    yield Cluster(url, postmaster_pid=0)  # a server of its own: its CPU is not metered


# --- Data -----------------------------------------------------------------------------------


@dataclass
class Seeded:
    campaign_id: int
    entry_ids: list[int]
    tokens: list[str]
    spare_tokens: list[str]  # voters the load never uses: for counting queries


def seed(*, voters: int) -> Seeded:
    """One open contest of one school, approved entries, verified voters with tokens."""
    from datetime import timedelta
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from campaigns.models import Campaign, Pilot, Round, School
    from core.codes import new_code
    from voting.models import Entry, Voter, VoterToken
    from voting.services.sign_in import voter_token_issue

    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        school = School.objects.create(
            name="基准大学", slug="bench-u", city="上海", province="上海", student_population=30000
        )
        pilot = Pilot.objects.create(
            school=school,
            name="Bench pilot",
            status=Pilot.Status.RUNNING,
            starts_on=today - timedelta(days=10),
            ends_on=today + timedelta(days=20),
            budget=Decimal("10000.00"),
        )
        campaign = Campaign.objects.create(
            pilot=pilot,
            kind=Campaign.Kind.CONTEST,
            slug=CAMPAIGN_SLUG,
            title="基准投票",
            status=Campaign.Status.OPEN,
            submission_starts_at=now - timedelta(days=5),
            submission_ends_at=now + timedelta(days=5),
            voting_starts_at=now - timedelta(days=3),
            voting_ends_at=now + timedelta(days=7),
            votes_per_day=VOTES_PER_DAY,
            votes_per_entry_per_day=VOTES_PER_ENTRY_PER_DAY,
            school_voters_only=True,
        )
        round_ = Round.objects.create(campaign=campaign, number=1)
        entries = Entry.objects.bulk_create(
            Entry(
                campaign=campaign,
                round=round_,
                name=f"选手{i}",
                status=Entry.Status.APPROVED,
                share_code=new_code(),
            )
            for i in range(ENTRIES)
        )
        spare = 4
        people = Voter.objects.bulk_create(
            Voter(phone=f"+86137{i:08d}", school=school, verified_at=now)
            for i in range(voters + spare)
        )
        # Through the service, as sign-in issues them: only the hash is stored.
        tokens = [voter_token_issue(voter=voter) for voter in people]
        # As after the app's first authenticated call following sign-in (GET /me/): the
        # token is fresh, so votes do not touch it (it is touched every 5 minutes at most).
        VoterToken.objects.update(last_used_at=now)
    return Seeded(
        campaign_id=campaign.pk,
        entry_ids=[e.pk for e in entries],
        tokens=tokens[:voters],
        spare_tokens=tokens[voters:],
    )


def queries_per_request(seeded: Seeded) -> dict[str, list[str]]:
    """The SQL of one request of (b) and of (c), through Django's test client.

    Not counted: the connection health check (a ``SELECT 1`` per request, sent by the
    backend on its own psycopg cursor) and BEGIN, which psycopg sends itself."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    vote_url = f"/api/v1/campaigns/{CAMPAIGN_SLUG}/entries/{seeded.entry_ids[0]}/votes/"
    found = {}
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            "/bench/baseline/",
            {"phone": "+8600000000000", "day": "2026-01-01", "kind": "count"},
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    found["(b) baseline insert"] = [q["sql"] for q in captured.captured_queries]
    token = seeded.spare_tokens[0]
    for label, entry_id in (("a voter's first (attributes them)", 0), ("a later vote", 1)):
        url = vote_url.replace(f"/{seeded.entry_ids[0]}/", f"/{seeded.entry_ids[entry_id]}/")
        with CaptureQueriesContext(connection) as captured:
            response = client.post(url, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 201, response.content
        found[f"(c) vote, {label}"] = [q["sql"] for q in captured.captured_queries]
    return found


@dataclass
class VoteCheck:
    stored_valid: int
    answered_201: int
    lost: int  # 201s whose vote is not stored and valid
    over_daily: int
    over_entry: int


def check_votes(seeded: Seeded, *, ids: list[int], spare_votes: int) -> VoteCheck:
    from django.db.models import Count

    from voting.models import Vote

    valid = Vote.objects.filter(campaign_id=seeded.campaign_id, status=Vote.Status.VALID)
    stored = valid.count() - spare_votes
    found = valid.filter(pk__in=ids).count()
    over_daily = (
        valid.values("voter_id", "day").annotate(n=Count("id")).filter(n__gt=VOTES_PER_DAY).count()
    )
    over_entry = (
        valid.values("voter_id", "entry_id", "day")
        .annotate(n=Count("id"))
        .filter(n__gt=VOTES_PER_ENTRY_PER_DAY)
        .count()
    )
    return VoteCheck(
        stored_valid=stored,
        answered_201=len(ids),
        lost=len(ids) - found,
        over_daily=over_daily,
        over_entry=over_entry,
    )


# --- CPU -----------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes (all their threads), in seconds."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> float:
    """CPU of a process and its children, those that exited included: PostgreSQL's
    autovacuum workers come and go within a slice, and a reaped child's CPU moves into
    its parent's cutime and cstime."""
    try:
        fields = Path(f"/proc/{root}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    reaped = (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime, cstime
    return cpu_seconds([root, *children(root)]) + reaped


@dataclass
class CpuMeter:
    """CPU spent by the gunicorn workers and by the PostgreSQL server (when we started
    it): per request, a cost that background load on the machine does not inflate the
    way it inflates latencies and rates."""

    gunicorn_master: int
    postmaster: int | None
    redis: int

    def read(self) -> tuple[float, float | None, float]:
        app = tree_cpu_seconds(self.gunicorn_master) - cpu_seconds([self.gunicorn_master])
        cache = cpu_seconds([self.redis])
        if self.postmaster is None:
            return app, None, cache
        return app, tree_cpu_seconds(self.postmaster), cache


# --- gunicorn and wrk -----------------------------------------------------------------------


@contextmanager
def gunicorn(*, env: dict, workers: int, threads: int, log: Path) -> Iterator[tuple[str, int]]:
    """gunicorn serving the benchmark's URLs; yields its base URL and master pid."""
    port = free_port()
    command = [str(VENV_BIN / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--backlog", "2048", "--log-level", "warning"]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    print(f"gunicorn: {' '.join(command[1:])}")
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/bench/bare/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Slice:
    requests: int
    seconds: float
    ok: int
    conflict: int
    other: int
    socket_errors: int
    histogram: dict[int, int]  # latency in microseconds -> requests
    cpu_app: float  # seconds of CPU of the gunicorn workers
    cpu_db: float | None  # of PostgreSQL, when metered
    cpu_cache: float  # of Redis


@dataclass
class Load:
    """A case's slices, merged: rates over the summed time, exact merged percentiles."""

    label: str
    slices: list[Slice] = field(default_factory=list)

    def _sum(self, name: str) -> int | float:
        return sum(getattr(s, name) for s in self.slices)

    @property
    def rate(self) -> float:
        return self._sum("requests") / self._sum("seconds")

    @property
    def ok(self) -> int:
        return self._sum("ok")

    @property
    def conflict(self) -> int:
        return self._sum("conflict")

    def cpu_ms_per_request(self, kind: str) -> float | None:
        spent = [getattr(s, kind) for s in self.slices]
        if any(x is None for x in spent):
            return None
        return 1000 * sum(spent) / self._sum("requests")

    def cpu_ms_per_request_total(self) -> float | None:
        parts = [self.cpu_ms_per_request(kind) for kind in ("cpu_app", "cpu_db", "cpu_cache")]
        return None if None in parts else sum(parts)

    @property
    def failed(self) -> int:
        return self._sum("other") + self._sum("socket_errors")

    def percentile_ms(self, p: float) -> float:
        merged: dict[int, int] = {}
        for s in self.slices:
            for value, count in s.histogram.items():
                merged[value] = merged.get(value, 0) + count
        total, seen = sum(merged.values()), 0
        for value in sorted(merged):
            seen += merged[value]
            if seen >= total * p / 100:
                return value / 1000
        return float("nan")


def run_wrk(
    wrk: str,
    base: str,
    *,
    args: list[str],
    seconds: float,
    connections: int,
    threads: int,
    work: Path,
    meter: CpuMeter,
    ids_file: Path | None = None,
) -> Slice:
    hist_file = work / "histogram"
    env = {**os.environ, "BENCH_HIST_FILE": str(hist_file)}
    env.pop("BENCH_IDS_FILE", None)
    if ids_file is not None:
        env["BENCH_IDS_FILE"] = str(ids_file)
    command = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds:.0f}s"]
    command += ["--timeout", "10s", "-s", str(LUA), base, "--", *args]
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
        conflict=result["conflict"],
        other=result["other"],
        socket_errors=result["socket_errors"],
        histogram=histogram,
        cpu_app=app_after - app_before,
        cpu_db=None if db_before is None else db_after - db_before,
        cpu_cache=cache_after - cache_before,
    )


# --- Profile --------------------------------------------------------------------------------


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


@contextmanager
def profiled(pids: list[int], *, seconds: float, out: Path) -> Iterator[None]:
    """py-spy samples the gunicorn workers while the block runs, only the thread holding
    the GIL (``--gil``): where the Python CPU goes, not where threads wait. Collapsed
    stacks are appended to out."""
    spy = shutil.which("py-spy", path=str(VENV_BIN)) or shutil.which("py-spy")
    if not spy:
        sys.exit("--profile needs py-spy: pip install -r requirements-dev.txt")
    files = [out.with_name(f"{out.name}.{pid}") for pid in pids]
    procs = [
        subprocess.Popen(
            [spy, "record", "--pid", str(pid), "--duration", f"{seconds:.0f}", "--rate", "250"]
            + ["--gil", "--format", "raw", "--output", str(file), "--nonblocking"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid, file in zip(pids, files, strict=True)
    ]
    try:
        yield
    finally:
        for proc in procs:
            proc.wait(timeout=60)
        with out.open("a") as merged:
            for file in files:
                if file.exists():
                    merged.write(file.read_text())
                    file.unlink()


def _frame(frame: str) -> tuple[str, str]:
    """``func (path:line)`` of py-spy's raw format -> (function, path)."""
    name, _, where = frame.partition(" (")
    return name, where.rsplit(":", 1)[0]


OUR_PACKAGES = ("voting", "campaigns", "ambassadors", "reports", "config", "bench")


def _library(path: str) -> str:
    """py-spy names files by module path (``django/db/models/query.py``)."""
    parts = path.split("/")
    if parts[0] in OUR_PACKAGES:
        return f"our code ({parts[0]})"
    if parts[0] == "django" and len(parts) > 2:
        return "/".join(parts[:2])
    if len(parts) > 1 and parts[0] in ("rest_framework", "psycopg", "gunicorn", "environ"):
        return parts[0]
    return "Python standard library and the rest"


def profile_summary(collapsed: Path) -> list[str]:
    """Where the samples go: inclusive share of our functions, then the self time
    grouped by library (what the time is finally spent in)."""
    ours: dict[str, int] = {}
    libraries: dict[str, int] = {}
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or not stack:
            continue
        n = int(count)
        total += n
        frames = [_frame(f) for f in stack.split(";")]
        for name in {
            f"{name} ({path})" for name, path in frames if path.split("/")[0] in OUR_PACKAGES
        }:
            ours[name] = ours.get(name, 0) + n
        leaf = _library(frames[-1][1])
        libraries[leaf] = libraries.get(leaf, 0) + n
    if not total:
        return ["  (no samples)"]
    lines = ["  our functions (inclusive):"]
    for key, n in sorted(ours.items(), key=lambda kv: kv[1], reverse=True)[:10]:
        lines.append(f"    {100 * n / total:5.1f}%  {key}")
    lines.append("  spent in (self time by library):")
    for key, n in sorted(libraries.items(), key=lambda kv: kv[1], reverse=True)[:8]:
        lines.append(f"    {100 * n / total:5.1f}%  {key}")
    return lines


# --- Main -----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=WORKER_CHOICE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--duration", type=int, default=20, help="seconds per case (20)")
    parser.add_argument(
        "--slices",
        type=int,
        default=4,
        help="each case runs in this many slices, interleaved a b c a b c ..., so that a "
        "change in the machine's background load hits the three cases alike (4)",
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument(
        "--threads", type=int, default=16, help="threads per gthread worker; 1 = sync (16)"
    )
    parser.add_argument(
        "--voters",
        type=int,
        default=15000,
        help=f"distinct voters, {VOTES_PER_DAY} votes a day each (15000)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the workers with py-spy during (c); prints where the CPU goes and "
        f"keeps the collapsed stacks in {PROFILE_FILE.relative_to(ROOT)}",
    )
    return parser.parse_args()


def main() -> int:
    options = parse_args()
    wrk = ensure_tool("wrk", "wrk")
    started = time.monotonic()
    url = os.environ.get("BENCH_DATABASE_URL")
    slice_seconds = options.duration / options.slices
    with (
        # Default durability (fsync on): each vote's commit costs what it costs in production.
        given_database(url)
        if url
        else throwaway_cluster(
            database="bench_votes", options="-c max_connections=200 -c shared_buffers=256MB"
        ) as cluster,
        tempfile.TemporaryDirectory(prefix="bench-votes-") as tmp,
        throwaway_redis(Path(tmp)) as (cache_url, redis_pid),
    ):
        work = Path(tmp)
        env = {
            **os.environ,
            "DATABASE_URL": cluster.url,
            "CACHE_URL": cache_url,
            "DJANGO_SETTINGS_MODULE": "bench.votes.settings",
            "VAR_DIR": str(work / "var"),
            "PYTHONPATH": str(ROOT),
            "LOG_LEVEL": "WARNING",
            # Plain HTTP on 127.0.0.1: no redirect to HTTPS (on by default without debug).
            "SECURE_SSL_REDIRECT": "0",
        }
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(f"seeding: {options.voters} voters with tokens, {ENTRIES} entries ...", flush=True)
        seeding = time.monotonic()
        seeded = seed(voters=options.voters)
        print(f"seeded in {time.monotonic() - seeding:.0f} s", flush=True)
        queries = queries_per_request(seeded)
        # Each slice of (c) has voters of its own, so that no slice finds its voters'
        # limits used by an earlier one.
        per_slice = len(seeded.tokens) // options.slices
        tokens_files = []
        for n in range(options.slices):
            tokens_files.append(work / f"tokens-{n}")
            chunk = seeded.tokens[n * per_slice : (n + 1) * per_slice]
            tokens_files[-1].write_text("\n".join(chunk) + "\n")
        ids_files = []

        load = {
            "connections": options.connections,
            "threads": options.wrk_threads,
            "work": work,
        }
        entry_ids = ",".join(map(str, seeded.entry_ids))
        if options.profile:
            PROFILE_FILE.parent.mkdir(exist_ok=True)
            PROFILE_FILE.write_text("")
        cases = {
            "a": Load("(a) bare DRF view"),
            "b": Load("(b) baseline insert"),
            "c": Load("(c) vote"),
        }
        with gunicorn(
            env=env, workers=options.workers, threads=options.threads, log=work / "gunicorn.log"
        ) as (base, master):
            load["meter"] = CpuMeter(
                gunicorn_master=master, postmaster=cluster.postmaster_pid or None, redis=redis_pid
            )
            print("warm-up: 3 s of (a) and of (b) ...", flush=True)
            for args in (["bare"], ["baseline", "warmup"]):
                run_wrk(wrk, base, args=args, seconds=3, **load)
            print(
                f"measuring: {options.slices} x {slice_seconds:.0f} s of each case, "
                "interleaved ...",
                flush=True,
            )
            for n in range(options.slices):
                cases["a"].slices.append(
                    run_wrk(wrk, base, args=["bare"], seconds=slice_seconds, **load)
                )
                cases["b"].slices.append(
                    run_wrk(
                        wrk, base, args=["baseline", f"bench{n}"], seconds=slice_seconds, **load
                    )
                )
                vote_args = ["vote", CAMPAIGN_SLUG, str(tokens_files[n]), entry_ids]
                vote_args += [str(options.wrk_threads), str(VOTES_PER_DAY)]
                ids_files.append(work / f"vote-ids-{n}")
                with (
                    profiled(worker_pids(master), seconds=slice_seconds, out=PROFILE_FILE)
                    if options.profile
                    else nullcontext()
                ):
                    cases["c"].slices.append(
                        run_wrk(
                            wrk,
                            base,
                            args=vote_args,
                            seconds=slice_seconds,
                            ids_file=ids_files[-1],
                            **load,
                        )
                    )
            workers = worker_pids(master)
            server_log = (work / "gunicorn.log").read_text()
        # Written by bench/votes/middleware.py as each worker exited.
        served: Counter[str] = Counter()
        for pid in workers:
            counts = work / "var" / f"vote-responses-{pid}.json"
            if counts.exists():
                served.update(json.loads(counts.read_text()))

        ids = [int(x) for f in ids_files for x in f.read_text().split()]
        check = check_votes(seeded, ids=ids, spare_votes=2)

    bare, baseline, vote = cases.values()
    print()
    print(
        f"{options.connections} connections, {options.duration} s per case in "
        f"{options.slices} slices, gunicorn {options.workers} workers x {options.threads} "
        f"threads, wrk {options.wrk_threads} threads, {os.cpu_count()} CPUs"
    )
    print(
        f"{'case':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'2xx':>8} {'409':>6} "
        f"{'other':>6} {'CPU ms/request: gunicorn':>25} {'postgres':>9} {'redis':>6}"
    )
    for r in cases.values():
        db = r.cpu_ms_per_request("cpu_db")
        print(
            f"{r.label:<22} {r.rate:8.0f} {r.percentile_ms(50):8.1f} {r.percentile_ms(99):8.1f} "
            f"{r.ok:8d} {r.conflict:6d} {r.failed:6d} {r.cpu_ms_per_request('cpu_app'):25.2f} "
            + (f"{db:9.2f}" if db is not None else f"{'n/a':>9}")
            + f" {r.cpu_ms_per_request('cpu_cache'):6.2f}"
        )
    ratio_b, ratio_a = vote.rate / baseline.rate, vote.rate / bare.rate
    print(f"c/b = {ratio_b:.2f}   c/a = {ratio_a:.2f}")
    cpu_b, cpu_c = baseline.cpu_ms_per_request_total(), vote.cpu_ms_per_request_total()
    if cpu_b and cpu_c:
        # What the rates would give on a machine of their own: less moved by other load.
        print(
            f"by CPU per request (web + PostgreSQL + Redis): (b) {cpu_b:.2f} ms, (c) {cpu_c:.2f} "
            f"ms, b/c = {cpu_b / cpu_c:.2f}"
        )
    if os.getloadavg()[0] > (os.cpu_count() or 1) + 1:
        print(
            f"note: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: other "
            "processes compete for the CPU; compare the CPU per request, which they inflate "
            "less than rates and latencies."
        )
    print("\nqueries per request (not counted: the health check's SELECT 1, and BEGIN):")
    for label, sqls in queries.items():
        print(f"  {label}: {len(sqls)}")
        for sql in sqls:
            print(f"      {' '.join(sql.split())[:110]}")
    if options.profile:
        print(f"\nprofile of (c): share of the samples holding the GIL ({PROFILE_FILE}):")
        print("\n".join(profile_summary(PROFILE_FILE)))

    print("\nchecks after the run (database):")
    correct = True

    def verdict(ok: bool, text: str) -> None:
        nonlocal correct
        correct = correct and ok
        print(f"  {'ok  ' if ok else 'FAIL'} {text}")

    verdict(check.over_daily == 0, f"voter-days over {VOTES_PER_DAY} votes: {check.over_daily}")
    verdict(
        check.over_entry == 0,
        f"voter-entry-days over {VOTES_PER_ENTRY_PER_DAY} vote: {check.over_entry}",
    )
    verdict(
        check.answered_201 == vote.ok and check.lost == 0,
        f"201 responses without their stored valid vote (lost): {check.lost} of "
        f"{check.answered_201}",
    )
    verdict(
        check.stored_valid == served["201"],
        f"stored valid votes {check.stored_valid} = 201 responses the server sent "
        f"{served['201']} (wrk read {check.answered_201}; the rest were in flight when it "
        "stopped reading)",
    )
    verdict(
        vote.failed + baseline.failed + bare.failed == 0 and set(served) <= {"201", "409"},
        "no response other than 2xx and 409, no socket error",
    )
    if vote.conflict:
        print(f"  note: {vote.conflict} votes refused (409): more voters (--voters) avoid it")
    if "Traceback" in server_log or " ERROR " in server_log:
        verdict(False, "gunicorn logged errors:\n" + server_log[-3000:])

    p99 = vote.percentile_ms(99)
    print("\ntargets:")
    print(
        f"  c/b >= {TARGET_RATIO}: {'PASS' if ratio_b >= TARGET_RATIO else 'MISS'} ({ratio_b:.2f})"
    )
    print(
        f"  p99 of (c) < {TARGET_P99_MS:.0f} ms: "
        f"{'PASS' if p99 < TARGET_P99_MS else 'MISS'} ({p99:.1f} ms)"
    )
    print(f"\ntotal {time.monotonic() - started:.0f} s")
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
