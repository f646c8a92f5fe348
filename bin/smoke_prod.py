"""The production-like smoke test's client side (run by bin/smoke-prod).

    smoke_prod.py load URL SECONDS THREADS   # vote through the real HTTP API, bounded
    smoke_prod.py verify                     # stored votes, snapshots and the report agree

``load`` issues bearer tokens to the demo voters, then votes from THREADS threads for
SECONDS seconds against the running gunicorn, and records every 201 in var/smoke.json.
``verify`` waits for the Celery workers (beat's every-minute refresh, then a requested
report) and exits non-zero unless the stored valid votes, the newest leaderboard snapshot
and the post-campaign report count exactly the same votes, and every 201 has its row.
"""

import json
import os
import random
import sys
import threading
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from campaigns.models import Campaign  # noqa: E402
from reports.models import Report  # noqa: E402
from reports.services import report_request  # noqa: E402
from voting.models import Entry, LeaderboardSnapshot, Vote, Voter  # noqa: E402
from voting.services.sign_in import voter_token_issue  # noqa: E402

STATE = Path(settings.VAR_DIR) / "smoke.json"


def open_contest() -> Campaign:
    now = timezone.now()
    return Campaign.objects.get(
        kind=Campaign.Kind.CONTEST,
        status=Campaign.Status.OPEN,
        voting_starts_at__lte=now,
        voting_ends_at__gt=now,
    )


def load(url: str, seconds: float, threads: int) -> None:
    campaign = open_contest()
    entries = list(
        Entry.objects.filter(campaign=campaign, status=Entry.Status.APPROVED).values_list(
            "pk", flat=True
        )
    )
    tokens = [voter_token_issue(voter=v) for v in Voter.objects.filter(verified_at__isnull=False)]
    accepted: list[int] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        rng = random.Random(n)
        session = requests.Session()
        while time.monotonic() < deadline:
            entry = rng.choice(entries)
            response = session.post(
                f"{url}/api/v1/campaigns/{campaign.slug}/entries/{entry}/votes/",
                headers={
                    "Authorization": f"Bearer {rng.choice(tokens)}",
                    "X-Device-Id": f"smoke-{n}",
                },
                timeout=30,
            )
            with lock:
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code == 201:
                    accepted.append(response.json()["vote_id"])

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(f"smoke load: {sum(statuses.values())} requests, statuses {statuses}")
    if any(code >= 500 for code in statuses):
        sys.exit("smoke load: the server answered 5xx")
    if not accepted:
        sys.exit("smoke load: no vote was accepted")
    STATE.write_text(json.dumps({"campaign": campaign.pk, "accepted": accepted}))


def wait_for(what: str, check, timeout: float = 150) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(2)
    sys.exit(f"smoke verify: timed out waiting for {what}")


def verify() -> None:
    state = json.loads(STATE.read_text())
    campaign = Campaign.objects.get(pk=state["campaign"])
    valid = Vote.objects.filter(campaign=campaign, status=Vote.Status.VALID)
    missing = set(state["accepted"]) - set(valid.values_list("pk", flat=True))
    if missing:
        sys.exit(f"smoke verify: {len(missing)} accepted votes are not stored")
    stored = valid.count()
    print(f"smoke verify: {stored} valid votes stored, {len(state['accepted'])} from the load")

    def snapshot_total() -> int | None:
        latest = (
            LeaderboardSnapshot.objects.filter(campaign=campaign).order_by("-computed_at").first()
        )
        return latest.total_votes if latest else None

    # Beat's every-minute refresh, run by one of the two workers.
    wait_for("a leaderboard snapshot with every vote", lambda: snapshot_total() == stored)
    report = report_request(campaign=campaign)  # computed by a worker after commit
    wait_for(
        "the report",
        lambda: Report.objects.filter(pk=report.pk, status=Report.Status.DONE).exists(),
    )
    data = Report.objects.get(pk=report.pk).data
    reported = sum(row["votes"] for row in data["daily_votes"])
    print(f"smoke verify: snapshot {snapshot_total()}, report {reported}")
    if not stored == snapshot_total() == reported:
        sys.exit("smoke verify: stored votes, snapshot and report disagree")
    print("smoke verify: stored votes, snapshot and report agree")


if __name__ == "__main__":
    command, *args = sys.argv[1:] or ["verify"]
    if command == "load":
        load(args[0], float(args[1]), int(args[2]))
    else:
        verify()
