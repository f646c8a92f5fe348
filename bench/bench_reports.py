"""Benchmark of the post-campaign report and the leaderboard refresh on PostgreSQL.

Measures, in one run:

(a) ``CampaignReportRunner(campaign, now=...).run()`` for a campaign with 100,000 new users
    and 3,000,000 app-activity rows, against ONE hand-written SQL query computing the same
    new users and D1/D7/D30 cohorts and retained counts (the lower bound). Target: the
    whole report within 2x the bound. The retention part alone
    (``selectors_metrics.retention_grouped(new_users(...), ...)``: one query grouped by
    channel, ambassador and week, which the runner adds up) is printed beside it.
(b) a leaderboard refresh (``leaderboard_refresh_campaign``: standings of a round with
    10,000 entries and 1,000,000 votes, stored as a snapshot) against the raw
    ``SELECT entry_id, count(*), max(cast_at) ... GROUP BY entry_id`` in the same order.
    One more vote lands before each refresh so every run stores a new snapshot.
    Target: within 1.5x the bound.

Each figure is the best of ``BENCH_RUNS`` (default 5) timed rounds after a warm-up round;
in a round ours and the bound run one after the other, so other load on the machine slows
both alike. The numbers of ours and of the bound are checked to be identical. Both run on
the application's own database connection (settings: no JIT). The data are loaded with
``INSERT ... SELECT generate_series`` (not the ORM), then VACUUM ANALYZEd.

Run it with ``make bench-reports`` (or ``.venv/bin/python bench/bench_reports.py``). It
starts a throw-away PostgreSQL 15 cluster in a temporary directory on a free port (as
.ci/run does; binaries from ``PG_BIN``, default /usr/lib/postgresql/15/bin), unless
``BENCH_DATABASE_URL`` names a database to use instead: one whose name contains "bench",
as every table of the campaigns, ambassadors and voting apps in it is emptied. With
``--explain`` it also prints EXPLAIN ANALYZE of the slowest queries of the report and of
the refresh. Exits 0 whether or not the targets are met (it is a benchmark, not a test);
a missed target is printed as MISS.
"""

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.pgcluster import throwaway_cluster  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "5"))

NEW_USERS = 100_000
ACTIVITY_ROWS = 3_000_000
ENTRIES = 10_000
VOTES_PER_VOTER = 10  # x NEW_USERS = 1,000,000 votes
AMBASSADORS = 25

TZ = ZoneInfo("Asia/Shanghai")
# Entries open on a Monday; new users are verified over the following four weeks; the
# report is run three weeks after the attribution period ends, so D1 and D7 are mature
# and D30 is not yet for the later sign-ups.
SUBMISSION_STARTS = datetime(2025, 3, 3, tzinfo=TZ)
VOTING_STARTS = datetime(2025, 3, 10, tzinfo=TZ)
VOTING_ENDS = datetime(2025, 3, 31, tzinfo=TZ)
SIGNUP_SPAN = timedelta(days=28)
NOW = datetime(2025, 4, 20, 12, 0, tzinfo=TZ)

TARGET_REPORT = 2.0
TARGET_LEADERBOARD = 1.5


# --- PostgreSQL ---------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create the database of ``url`` if the server lacks it."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"BENCH_DATABASE_URL: refusing {name!r}, its tables would be emptied")
    server = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


# --- Measuring ----------------------------------------------------------------------------


def best_of(*fns: Callable[[], object], before: Callable[[], None] | None = None) -> list:
    """[(best seconds, last result)] of each function over RUNS timed rounds.

    Round 0 warms the caches and is not timed. Within a round the functions run one
    after the other, so a busy machine slows ours and the bound alike; ``before`` runs
    (untimed) at the start of each round.
    """
    times: list[list[float]] = [[] for _ in fns]
    results: list[object] = [None] * len(fns)
    for round_ in range(RUNS + 1):
        if before:
            before()
        for i, fn in enumerate(fns):
            started = time.perf_counter()
            results[i] = fn()
            elapsed = time.perf_counter() - started
            if round_:
                times[i].append(elapsed)
    return [(min(t), result) for t, result in zip(times, results, strict=True)]


@contextmanager
def phase(label: str) -> Iterator[None]:
    started = time.perf_counter()
    print(f"-- {label} ...", flush=True)
    yield
    print(f"   {label}: {time.perf_counter() - started:.1f} s", flush=True)


def slowest_queries(queries: list[dict], n: int = 4) -> list[dict]:
    return sorted(queries, key=lambda q: float(q["time"]), reverse=True)[:n]


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def show_queries(title: str, queries: list[dict], *, with_plans: bool) -> None:
    print(f"\n{title}: {len(queries)} queries, slowest:")
    for q in slowest_queries(queries):
        sql = " ".join(q["sql"].split())
        print(f"  {float(q['time']) * 1000:8.1f} ms  {sql[:160]}{'...' if len(sql) > 160 else ''}")
        if with_plans and q["sql"].lstrip().upper().startswith("SELECT"):
            print("    " + explain(q["sql"]).replace("\n", "\n    "))


# --- Data ---------------------------------------------------------------------------------


def execute(sql: str, params: dict | None = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def table(model) -> str:
    return model._meta.db_table


def insert_select(model, values: dict[str, str], source: str, params: dict) -> int:
    """``INSERT INTO <model's table> SELECT <values> <source>``; returns the row count.

    ``values`` maps columns to SQL expressions over ``source`` (the FROM clause and what
    follows). Every other column gets what Django would save for it by default (now()
    for auto_now_add), so a column added to a model later does not break the load.
    """
    from django.db import connection

    params = dict(params)
    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if field.column in values:
            expression = values[field.column]
        elif field.primary_key:
            continue  # from its sequence
        elif getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            expression = "now()"
        else:
            key = f"default_{field.column}"
            params[key] = field.get_db_prep_save(field.get_default(), connection)
            expression = f"%({key})s"
        columns.append(connection.ops.quote_name(field.column))
        expressions.append(expression)
    unknown = set(values) - {field.column for field in model._meta.concrete_fields}
    if unknown:
        raise ValueError(f"{table(model)} has no column {', '.join(sorted(unknown))}")
    return execute(
        f"INSERT INTO {table(model)} ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} {source}",
        params,
    )


def empty_tables() -> None:
    from django.apps import apps

    tables = [
        table(model)
        for label in ("campaigns", "ambassadors", "voting")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


# Voter i's phone: i x PHONE_STEP mod 10^8 (a bijection, the step being coprime to 10), so
# phones are unique and, as in life, in no relation to the order of sign-up: lookups by
# phone in the order of the voter table do not walk the activity index in order.
PHONE_STEP = 61_803_399  # about 0.618 x 10^8: consecutive voters land far apart


def voter_phone(i: int) -> str:
    return f"+86138{i * PHONE_STEP % 10**8:08d}"


def load() -> dict:
    """The campaign, its entries, voters, votes and the app activity. Returns the ids."""
    from ambassadors.models import Ambassador
    from campaigns.models import Campaign, Pilot, Round, School, StaffPhone
    from voting.models import Activity, Entry, Vote, Voter

    school = School.objects.create(
        name="基准大学", slug="bench", city="上海", province="上海", student_population=30000
    )
    pilot = Pilot.objects.create(
        school=school,
        name="Bench pilot",
        status=Pilot.Status.RUNNING,
        starts_on=SUBMISSION_STARTS.date(),
        ends_on=(VOTING_ENDS + timedelta(days=30)).date(),
        target_max_cost_per_retained_user="20.00",
        target_min_d7_retention="0.30",
    )
    campaign = Campaign.objects.create(
        pilot=pilot,
        slug="bench-contest",
        title="基准大赛",
        status=Campaign.Status.CLOSED,
        submission_starts_at=SUBMISSION_STARTS,
        submission_ends_at=VOTING_STARTS,
        voting_starts_at=VOTING_STARTS,
        voting_ends_at=VOTING_ENDS,
        votes_per_entry_per_day=1,
        votes_per_day=3,
    )
    round_ = Round.objects.create(campaign=campaign, number=1)
    # Three ambassadors and three staff members also signed up: never new users.
    ambassador_ids = [
        Ambassador.objects.create(
            school=school,
            name=f"大使{n:02d}",
            student_id=f"A{n:05d}",
            phone=voter_phone((n + 1) * 7919) if n < 3 else f"+86139{n:08d}",
            hourly_rate="25.00",
            stipend="500.00",
            referral_code=f"BENCH{n:03d}",
        ).pk
        for n in range(AMBASSADORS)
    ]
    StaffPhone.objects.bulk_create(
        [StaffPhone(phone=voter_phone(n * 30011), label="bench") for n in (1, 2, 3)]
    )
    ids = {"campaign": campaign.pk, "round": round_.pk, "school": school.pk}
    params = {
        **ids,
        "n_users": NEW_USERS,
        "n_entries": ENTRIES,
        "signups_from": SUBMISSION_STARTS,
        "signup_seconds": int(SIGNUP_SPAN.total_seconds()),
        "voting_day": VOTING_STARTS.date(),
        "today": NOW.date(),
        "ambassadors": ambassador_ids,
        "tz": str(TZ),
        "phone_step": PHONE_STEP,
    }
    # Data consistent by construction: skip the foreign-key triggers while loading.
    execute("SET session_replication_role = replica")
    with phase(f"load {ENTRIES:,} entries and {NEW_USERS:,} voters"):
        # Every 200th entry is pending and the next 100th rejected: out of the standings.
        insert_select(
            Entry,
            {
                "id": "e",
                "campaign_id": "%(campaign)s",
                "round_id": "%(round)s",
                "name": "'选手' || e",
                "student_id": "lpad(e::text, 8, '0')",
                "status": "CASE e %% 200 WHEN 0 THEN 'pending' WHEN 100 THEN 'rejected' "
                "ELSE 'approved' END",
                "share_code": "'B' || e",
            },
            "FROM generate_series(1, %(n_entries)s) AS e",
            params,
        )
        # Channels: 40 % share (of an entry), 30 % ambassador, 30 % direct.
        insert_select(
            Voter,
            {
                "id": "i",
                "phone": "'+86138' || lpad((i::bigint * %(phone_step)s %% 100000000)::text, "
                "8, '0')",
                "school_id": "%(school)s",
                "first_seen_at": "at - interval '5 minutes'",
                "verified_at": "at",
                "attributed_campaign_id": "%(campaign)s",
                "channel": "CASE WHEN i %% 10 < 4 THEN 'share' "
                "WHEN i %% 10 < 7 THEN 'ambassador' ELSE 'direct' END",
                "attributed_entry_id": "CASE WHEN i %% 10 < 4 "
                "THEN 1 + abs(hashint4(i + 7)) %% %(n_entries)s END",
                "attributed_ambassador_id": "CASE WHEN i %% 10 BETWEEN 4 AND 6 "
                "THEN (%(ambassadors)s::bigint[])[1 + i %% cardinality(%(ambassadors)s)] END",
            },
            """
            FROM (
                SELECT i, %(signups_from)s::timestamptz
                    + make_interval(secs => abs(hashint4(i)) %% %(signup_seconds)s) AS at
                FROM generate_series(1, %(n_users)s) AS i
            ) AS s
            """,
            params,
        )
    with phase(f"load {NEW_USERS * VOTES_PER_VOTER:,} votes"):
        # Voter i votes once a day on ten consecutive days, for entries drawn with a skew
        # (a few popular entries, a long tail): every (voter, entry, day) and (voter,
        # day) is distinct, so the partial unique slot constraints hold with slot 1.
        # Voters i = 0 (mod 200) had every vote invalidated as fraud (no longer new
        # users); voters i = 100 (mod 200) had one of theirs invalidated (still new users).
        insert_select(
            Vote,
            {
                "voter_id": "i",
                "entry_id": "entry",
                "campaign_id": "%(campaign)s",
                "day": "day",
                "cast_at": "cast_at",
                "entry_slot": "1",
                "day_slot": "1",
                "user_agent": "'bench'",
                "status": "CASE WHEN fraud THEN 'invalidated' ELSE 'valid' END",
                "invalidated_reason": "CASE WHEN fraud THEN 'bench: sockpuppet' ELSE '' END",
                "invalidated_at": "CASE WHEN fraud THEN cast_at + interval '1 day' END",
            },
            f"""
            FROM (
                SELECT i, day,
                    1 + floor(%(n_entries)s
                        * power((abs(hashint8(i * 16 + k)) %% 1000000) / 1000000.0, 2))::int
                        AS entry,
                    (day + make_interval(secs => abs(hashint8(i * 16 + k + 8)) %% 86400))
                        AT TIME ZONE %(tz)s AS cast_at,
                    i %% 200 = 0 OR (i %% 200 = 100 AND k = 0) AS fraud
                FROM generate_series(1, %(n_users)s) AS i,
                    generate_series(0, {VOTES_PER_VOTER - 1}) AS k,
                    LATERAL (SELECT %(voting_day)s::date + i %% 12 + k AS day) AS d
            ) AS v
            """,
            params,
        )
    with phase(f"load {ACTIVITY_ROWS:,} activity rows"):
        # New users: 70 % keep using the app (an "open" on half of their days, a
        # workout on a fifth), 30 % drop off (an "open" on a tenth of their days).
        n = insert_select(
            Activity,
            {"phone": "phone", "day": "first_day + j", "kind": "kind"},
            f"""
            FROM (
                SELECT id, phone, (verified_at AT TIME ZONE %(tz)s)::date AS first_day
                FROM {table(Voter)}
            ) AS u,
                generate_series(0, 59) AS j,
                (VALUES ('open', 0), ('workout', 1)) AS kinds (kind, k)
            WHERE first_day + j <= %(today)s
                AND abs(hashint8(id * 128 + j * 2 + k)) %% 1000 < CASE
                    WHEN id %% 10 < 3 THEN CASE k WHEN 0 THEN 100 ELSE 0 END
                    ELSE CASE k WHEN 0 THEN 500 ELSE 200 END
                END
            """,
            params,
        )
        # The rest: 40,000 app users who are not new users of this campaign.
        insert_select(
            Activity,
            {
                "phone": "'+86137' || lpad((r %% 40000)::text, 8, '0')",
                "day": "date '2025-02-01' + r / 40000",
                "kind": "'open'",
            },
            "FROM generate_series(0, %(rest)s - 1) AS r",
            {"rest": ACTIVITY_ROWS - n},
        )
    execute("SET session_replication_role = DEFAULT")
    for model in (Entry, Voter, Vote, Activity):
        execute(
            f"SELECT setval(pg_get_serial_sequence('{table(model)}', 'id'), "
            f"(SELECT max(id) FROM {table(model)}))"
        )
    with phase("VACUUM ANALYZE"):
        for model in (Entry, Voter, Vote, Activity, Ambassador, StaffPhone):
            execute(f"VACUUM ANALYZE {table(model)}")
    return ids


# --- (a) the report -----------------------------------------------------------------------

HAND_RETENTION_SQL = """
WITH users AS MATERIALIZED (
    SELECT v.phone, (v.verified_at AT TIME ZONE %(tz)s)::date AS first_day
    FROM voting_voter AS v
    WHERE v.attributed_campaign_id = %(campaign)s
        AND v.verified_at >= %(start)s AND v.verified_at < %(end)s
        AND v.phone NOT IN (SELECT phone FROM campaigns_staffphone)
        AND v.phone NOT IN (SELECT phone FROM ambassadors_ambassador)
        -- not every vote invalidated: the few voters with an invalidated vote (a hashed
        -- set) first, an index lookup for a valid vote only for them
        AND (v.id NOT IN (SELECT voter_id FROM voting_vote WHERE status = 'invalidated')
             OR EXISTS (SELECT 1 FROM voting_vote AS x
                        WHERE x.voter_id = v.id AND x.status = 'valid'))
)
SELECT count(*),
    count(*) FILTER (WHERE first_day < %(today)s - 1),
    count(*) FILTER (WHERE first_day < %(today)s - 1 AND EXISTS (
        SELECT 1 FROM voting_activity AS a WHERE a.phone = u.phone AND a.day = first_day + 1)),
    count(*) FILTER (WHERE first_day < %(today)s - 7),
    count(*) FILTER (WHERE first_day < %(today)s - 7 AND EXISTS (
        SELECT 1 FROM voting_activity AS a WHERE a.phone = u.phone AND a.day = first_day + 7)),
    count(*) FILTER (WHERE first_day < %(today)s - 30),
    count(*) FILTER (WHERE first_day < %(today)s - 30 AND EXISTS (
        SELECT 1 FROM voting_activity AS a WHERE a.phone = u.phone AND a.day = first_day + 30))
FROM users AS u
"""


def hand_retention(params: dict) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(HAND_RETENTION_SQL, params)
        total, *counts = cursor.fetchone()
    return {
        "new_users": total,
        **{
            f"d{n}": {"cohort": counts[2 * i], "retained": counts[2 * i + 1]}
            for i, n in enumerate((1, 7, 30))
        },
    }


def ours_retention(report: dict) -> dict:
    return {
        "new_users": report["new_users"],
        **{
            f"d{n}": {k: report["retention"][f"d{n}"][k] for k in ("cohort", "retained")}
            for n in (1, 7, 30)
        },
    }


def bench_report(ids: dict, *, with_plans: bool) -> list[dict]:
    from django.db import connection, reset_queries
    from django.db.models.functions import TruncWeek

    from campaigns.models import Campaign
    from reports.runner import GROUPS, CampaignReportRunner
    from voting.selectors import metrics

    campaign = Campaign.objects.select_related("pilot__school").get(pk=ids["campaign"])
    runner = CampaignReportRunner(campaign, now=NOW)
    params = {
        "campaign": campaign.pk,
        "start": runner.start,
        "end": runner.end,
        "today": runner.today,
        "tz": str(TZ),
    }

    report_queries: list[dict] = []

    def run_report() -> dict:
        reset_queries()
        report = runner.run().as_json()
        report_queries[:] = connection.queries
        return report

    def run_retention() -> dict:
        """What the runner does for retention: one grouped query, added up."""
        users = metrics.new_users(
            campaign_id=campaign.pk, start=runner.start, end=runner.end
        ).annotate(week=TruncWeek("first_day"))
        groups = metrics.retention_grouped(users, GROUPS, today=runner.today)
        return metrics.retention_sum(groups.values())

    with phase("(a) report, retention part, hand-written SQL"):
        (ours, report), (bound, hand), (part, totals) = best_of(
            run_report, lambda: hand_retention(params), run_retention
        )

    got = ours_retention(report)
    part_got = {
        "new_users": totals["total"],
        **{
            f"d{n}": {"cohort": totals[f"d{n}"].cohort, "retained": totals[f"d{n}"].retained}
            for n in (1, 7, 30)
        },
    }
    same = got == hand == part_got
    print(f"\n(a) report of {campaign.slug} as of {NOW:%Y-%m-%d %H:%M} (today {runner.today}):")
    print(f"    runner:      {got}")
    print(f"    hand SQL:    {hand}")
    print(f"    identical:   {'yes' if same else 'NO'}")
    show_queries("report", report_queries, with_plans=with_plans)
    if with_plans:
        print("\nhand-written SQL:")
        # compose_sql, not cursor.mogrify: the connection binds parameters server-side.
        sql = connection.ops.compose_sql(HAND_RETENTION_SQL, params)
        print("    " + explain(sql).replace("\n", "\n    "))
    return [
        {
            "case": "(a) report vs hand SQL D1/D7/D30",
            "ours": ours,
            "bound": bound,
            "target": TARGET_REPORT,
            "same": same,
        },
        {
            "case": "(a') retention part vs hand SQL",
            "ours": part,
            "bound": bound,
            "target": TARGET_REPORT,
            "same": same,
        },
    ]


# --- (b) the leaderboard ------------------------------------------------------------------

BOUND_STANDINGS_SQL = """
SELECT entry_id, count(*) AS n, max(cast_at) AS reached_at
FROM voting_vote
WHERE status = 'valid' AND entry_id IN (
    SELECT id FROM voting_entry WHERE round_id = %(round)s AND status = 'approved')
GROUP BY entry_id
ORDER BY n DESC, reached_at, entry_id
"""


def bench_leaderboard(ids: dict, *, with_plans: bool) -> list[dict]:
    from django.db import connection, reset_queries

    from voting.models import Entry, LeaderboardSnapshot, Vote
    from voting.services.leaderboards import leaderboard_refresh_campaign

    extra = {"n": 0}
    popular = (
        Entry.objects.filter(round_id=ids["round"], status=Entry.Status.APPROVED)
        .order_by("id")
        .values_list("id", flat=True)[:50]
    )
    popular = list(popular)

    def one_more_vote() -> None:
        """A new valid vote from voter 1 on a later day, so the standing changes."""
        extra["n"] += 1
        day = VOTING_ENDS.date() + timedelta(days=extra["n"])
        Vote.objects.create(
            voter_id=1,
            entry_id=popular[extra["n"] % len(popular)],
            campaign_id=ids["campaign"],
            day=day,
            cast_at=datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=1),
        )

    refresh_queries: list[dict] = []

    def refresh() -> list:
        reset_queries()
        snapshots = leaderboard_refresh_campaign(campaign_id=ids["campaign"])
        refresh_queries[:] = connection.queries
        return snapshots

    def raw_group_by() -> list:
        with connection.cursor() as cursor:
            cursor.execute(BOUND_STANDINGS_SQL, {"round": ids["round"]})
            return cursor.fetchall()

    before = LeaderboardSnapshot.objects.count()
    with phase("(b) leaderboard refresh, raw GROUP BY"):
        (ours, (snapshot,)), (bound, rows) = best_of(refresh, raw_group_by, before=one_more_vote)
    stored = LeaderboardSnapshot.objects.count() - before

    got = [(row["entry_id"], row["votes"]) for row in snapshot.standings]
    expected = [(entry_id, n) for entry_id, n, _ in rows]
    same = got == expected and stored == RUNS + 1
    print(
        f"\n(b) round {ids['round']}: {len(got):,} ranked entries, "
        f"{snapshot.total_votes:,} valid votes, {stored} snapshots stored"
    )
    print(f"    refresh top 3: {got[:3]}")
    print(f"    GROUP BY top 3: {expected[:3]}")
    print(f"    identical:   {'yes' if same else 'NO'}")
    show_queries("refresh", refresh_queries, with_plans=with_plans)
    if with_plans:
        print("\nraw GROUP BY:")
        sql = connection.ops.compose_sql(BOUND_STANDINGS_SQL, {"round": ids["round"]})
        print("    " + explain(sql).replace("\n", "\n    "))
    return [
        {
            "case": "(b) leaderboard refresh vs GROUP BY",
            "ours": ours,
            "bound": bound,
            "target": TARGET_LEADERBOARD,
            "same": same,
        }
    ]


# --- Main ---------------------------------------------------------------------------------


def summary(rows: list[dict]) -> None:
    print("\n" + "=" * 92)
    print(
        f"{'case':<38} {'ours (ms)':>10} {'bound (ms)':>11} {'ratio':>7} "
        f"{'target':>7}  {'result':<6} numbers"
    )
    print("-" * 92)
    for row in rows:
        ratio = row["ours"] / row["bound"]
        row["ok"] = ratio <= row["target"] and row["same"]
        print(
            f"{row['case']:<38} {row['ours'] * 1000:>10.1f} {row['bound'] * 1000:>11.1f} "
            f"{ratio:>6.2f}x {row['target']:>6.1f}x  {'PASS' if row['ok'] else 'MISS':<6} "
            f"{'identical' if row['same'] else 'DIFFER'}"
        )
    print("=" * 92)
    headline = [r for r in rows if not r["case"].startswith("(a')")]
    for row in headline:
        if not row["ok"]:
            print(f"!!! MISS: {row['case']} !!!")
    print(f"(best of {RUNS} runs after a warm-up each)")


def bench(url: str, *, with_plans: bool) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_DEBUG"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    with phase("migrate"):
        call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT version(), current_setting('jit'), current_setting('shared_buffers')"
        )
        version, jit, shared_buffers = cursor.fetchone()
    print(f"{version.split(' on ')[0]}, jit={jit}, shared_buffers={shared_buffers}")
    try:
        empty_tables()
        ids = load()
        rows = bench_report(ids, with_plans=with_plans)
        rows += bench_leaderboard(ids, with_plans=with_plans)
        summary(rows)
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN ANALYZE of the slowest queries"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        ensure_database(url)
        bench(url, with_plans=args.explain)
    else:
        with throwaway_cluster(
            database="bench_reports",
            # fsync off: a throw-away cluster. Bigger buffers and WAL: the bulk load.
            options="-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c shared_buffers=512MB -c max_wal_size=4GB",
        ) as cluster:
            url = cluster.url
            bench(url, with_plans=args.explain)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
