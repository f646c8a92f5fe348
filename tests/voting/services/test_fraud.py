"""Fraud signals fire on planted sockpuppet patterns and stay silent on honest students,
including 200 of them behind one dorm IP; staff review flags in admin.

Each planted test builds an honest campaign first (students with their own phones and
times, most of them using the app afterwards) and plants one pattern on top, then checks
that exactly the planted votes are flagged, with the right signal and evidence.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from campaigns.models import AuditLog
from tests.factories import CampaignFactory, EntryFactory, VoterFactory
from tests.helpers import page_says
from voting.models import Activity, Entry, FraudFlag, Visit, Vote, Voter
from voting.services import fraud_review, fraud_scan
from voting.tasks.fraud import fraud_scan_campaign as fraud_scan_task
from voting.tasks.fraud import fraud_scan_open

pytestmark = pytest.mark.django_db

DORM_IP = "202.120.224.6"
# The phones a dorm actually has: several students share each of these exact strings.
USER_AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47",
    "Mozilla/5.0 (Linux; Android 14; 23127PN0CC Build/UKQ1.230804.001) MicroMessenger/8.0.49",
    "Mozilla/5.0 (Linux; Android 13; V2241A Build/TP1A.220624.014) MicroMessenger/8.0.48",
    "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00) MicroMessenger/8.0.44",
    "Mozilla/5.0 (Linux; Android 14; PJZ110 Build/UKQ1.230924.001) Weibo (OPPO)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Weibo (iPhone15,2__weibo__14.5)",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Safari/605.1.15",
]
CHANGELIST = "admin:voting_fraudflag_changelist"


@dataclass
class World:
    """A campaign being voted on, with helpers that create voters and raw votes."""

    campaign: object
    entries: list[Entry]  # the entries honest students vote for
    now: datetime
    rng: random.Random = field(default_factory=lambda: random.Random(2024))
    day_slots: Counter = field(default_factory=Counter)
    _devices: int = 0

    def voter(self, created: datetime, **fields) -> Voter:
        """A voter whose account was created at ``created`` (auto_now_add overridden)."""
        voter = VoterFactory(**fields)
        Voter.objects.filter(pk=voter.pk).update(
            first_seen_at=created, verified_at=created + timedelta(seconds=1)
        )
        voter.refresh_from_db()
        return voter

    def device(self) -> str:
        self._devices += 1
        return f"device-{self._devices:05d}"

    def vote(self, voter: Voter, entry: Entry, at: datetime, **fingerprint) -> Vote:
        """A raw vote with the slots the policy would have given it (one per entry a day)."""
        day = timezone.localdate(at)
        self.day_slots[voter.pk, day] += 1
        return Vote.objects.create(
            voter=voter,
            entry=entry,
            campaign=entry.campaign,
            day=day,
            cast_at=at,
            day_slot=self.day_slots[voter.pk, day],
            ip=fingerprint.get("ip", DORM_IP),
            user_agent=fingerprint.get("user_agent", ""),
            device_id=fingerprint.get("device_id", ""),
        )

    def active(self, voter: Voter, *days) -> None:
        Activity.objects.bulk_create(
            [Activity(phone=voter.phone, day=day, kind="workout") for day in days],
            ignore_conflicts=True,
        )


@dataclass
class HonestStats:
    voters: int
    votes: int
    ips: set
    shared_user_agents: int
    fast_voters: int
    share_voters: int
    inactive_voters: int


def build_honest(world: World, n: int) -> HonestStats:
    """``n`` honest students behind one dorm IP: their own device each, user agents of
    popular phones (so many share one), accounts created over four days, first vote from
    a few seconds (some are quick) to ten minutes after signing up, more votes on later
    days, a third signed up through a friend's share link and loyal to that friend, and
    four in five using the app after voting. Nothing is cast in the last three hours, which
    is where the planted tests put their patterns."""
    rng, now = world.rng, world.now
    start = world.campaign.voting_starts_at + timedelta(hours=1)
    last = now - timedelta(hours=3)
    weights = [10, 8, 6, 5, 4, 3, 3, 2, 2, 1][: len(world.entries)]
    stats = HonestStats(n, 0, set(), 0, 0, 0, 0)
    user_agents = Counter()
    for _i in range(n):
        created = start + timedelta(seconds=rng.uniform(0, 4 * 86400))
        favourite = rng.choices(world.entries, weights=weights)[0]
        loyal = rng.random() < 0.33
        fields = {"channel": Voter.Channel.SHARE, "attributed_entry": favourite} if loyal else {}
        voter = world.voter(created, **fields)
        fingerprint = {"device_id": world.device(), "user_agent": rng.choice(USER_AGENTS)}
        user_agents[fingerprint["user_agent"]] += 1
        quick = rng.random() < 0.1
        first = created + timedelta(seconds=rng.uniform(3, 8) if quick else rng.uniform(20, 600))
        if first > last:
            first = last - timedelta(minutes=rng.uniform(1, 60))
            Voter.objects.filter(pk=voter.pk).update(first_seen_at=first - timedelta(minutes=2))
        else:
            stats.fast_voters += quick
        stats.share_voters += loyal
        days = [first]
        day = timezone.localtime(first).replace(hour=0, minute=0, second=0, microsecond=0)
        while (day := day + timedelta(days=1)) < last:
            if rng.random() < 0.5:
                at = day + timedelta(hours=rng.uniform(8, 23))
                if at < last:
                    days.append(at)
        for at in days:
            picks = [favourite] if loyal else rng.sample(world.entries, rng.randint(1, 3))
            if favourite not in picks and not loyal and at == first:
                picks[0] = favourite
            for k, entry in enumerate(picks):
                world.vote(voter, entry, at + timedelta(seconds=20 * k), ip=DORM_IP, **fingerprint)
                stats.votes += 1
        stats.ips.add(DORM_IP)
        if rng.random() < 0.8:
            vote_day = timezone.localdate(first)
            world.active(voter, vote_day, vote_day + timedelta(days=rng.randint(1, 6)))
        else:
            stats.inactive_voters += 1
    stats.shared_user_agents = sum(1 for count in user_agents.values() if count > 1)
    return stats


def make_world(n_entries: int = 6) -> World:
    now = timezone.now()
    campaign = CampaignFactory(
        submission_starts_at=now - timedelta(days=8),
        voting_starts_at=now - timedelta(days=6),
        voting_ends_at=now + timedelta(days=4),
    )
    entries = [EntryFactory(campaign=campaign) for _ in range(n_entries)]
    return World(campaign=campaign, entries=entries, now=now)


@pytest.fixture
def world() -> World:
    world = make_world()
    build_honest(world, 40)
    return world


def scan(world: World) -> list[FraudFlag]:
    return fraud_scan.fraud_scan_campaign(campaign_id=world.campaign.pk, now=world.now)


def flagged_vote_ids(kind: str | None = None) -> set[int]:
    qs = FraudFlag.objects.all() if kind is None else FraudFlag.objects.filter(kind=kind)
    return set(qs.values_list("votes", flat=True)) - {None}


def plant_device_farm(world: World, *, voters: int = 6, at: datetime | None = None) -> list[Vote]:
    """One phone, several accounts (old ones, so no other signal fires), one vote each,
    a minute apart, from the dorm IP."""
    at = at or world.now - timedelta(hours=2)
    votes = []
    for i in range(voters):
        voter = world.voter(world.now - timedelta(days=5, hours=i * 3))
        fingerprint = {"device_id": "farm-phone", "user_agent": USER_AGENTS[i % 8]}
        votes.append(
            world.vote(voter, world.entries[i % 3], at + timedelta(minutes=i), **fingerprint)
        )
    return votes


# --- Honest students ----------------------------------------------------------------------


def test_200_honest_voters_sharing_one_dorm_ip_raise_no_flag():
    world = make_world(n_entries=10)
    stats = build_honest(world, 200)
    # The fixture is what it claims: one IP for everybody, phones sharing user agents,
    # some quick voters, loyal share sign-ups and inactive ones among them.
    assert Vote.objects.filter(campaign=world.campaign).values("ip").distinct().count() == 1
    assert stats.voters == 200 and stats.votes > 400
    assert stats.shared_user_agents >= 6
    assert stats.fast_voters >= 5
    assert stats.share_voters >= 40
    assert stats.inactive_voters >= 20

    assert scan(world) == []
    assert not FraudFlag.objects.exists()


def test_two_roommates_on_one_phone_are_not_a_device_cluster(world):
    plant_device_farm(world, voters=3)  # below the threshold of four
    scan(world)
    assert not FraudFlag.objects.exists()


# --- Planted patterns ---------------------------------------------------------------------


def test_many_voters_on_one_device_fire_device_cluster(world):
    planted = plant_device_farm(world)

    scan(world)

    flag = FraudFlag.objects.get()
    assert (flag.kind, flag.key, flag.status) == ("device_cluster", "device:farm-phone", "open")
    assert set(flag.votes.values_list("pk", flat=True)) == {v.pk for v in planted}
    assert flag.evidence["device_id"] == "farm-phone"
    assert flag.evidence["voters"] == 6
    assert flag.evidence["max_voters_in_window"] == 6
    assert flag.evidence["window_minutes"] == 10 and flag.evidence["min_voters"] == 4
    assert flag.evidence["sample_vote_ids"] == sorted(v.pk for v in planted)
    assert flag.evidence["sample_voter_ids"] == sorted(v.voter_id for v in planted)
    assert flag.severity == FraudFlag.Severity.MEDIUM  # HIGH from twice the minimum (8)


def test_one_user_agent_from_one_ip_with_accounts_created_together_fires(world):
    script = "python-requests/2.31.0"
    start = world.now - timedelta(hours=2, minutes=30)
    planted = []
    for i in range(6):
        voter = world.voter(start + timedelta(minutes=i))
        planted.append(
            world.vote(
                voter,
                world.entries[i % 2],
                start + timedelta(minutes=i + 2),
                user_agent=script,
                device_id=world.device(),  # a script rotates device ids
            )
        )

    scan(world)

    flag = FraudFlag.objects.get()
    assert flag.kind == "user_agent_cluster"
    assert set(flag.votes.values_list("pk", flat=True)) == {v.pk for v in planted}
    assert flag.evidence["user_agent"] == script
    assert flag.evidence["ip"] == DORM_IP
    assert flag.evidence["voters"] == 6
    assert flag.evidence["created_within_minutes"] == 30


def test_a_busy_campus_nat_at_peak_is_not_a_user_agent_cluster():
    """Six hours of a campus-wide NAT: eight new students a window, all with the most
    common phone, each signing up a minute or three before voting. Every window has more
    than the minimum of one user agent from one IP with accounts created together; that
    is this IP's normal, not a farm."""
    world = make_world()
    start = (world.now - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    for window in range(36):
        for i in range(8):
            at = start + timedelta(minutes=10 * window + i + world.rng.random())
            voter = world.voter(at - timedelta(minutes=world.rng.uniform(1, 3)))
            world.vote(
                voter,
                world.entries[(window + i) % 6],
                at,
                user_agent=USER_AGENTS[0],
                device_id=world.device(),
            )
    scan(world)
    assert not FraudFlag.objects.exists()


def test_accounts_voting_seconds_after_creation_on_one_entry_fire(world):
    target = world.entries[1]
    start = world.now - timedelta(minutes=90)
    planted = []
    for i in range(7):
        created = start + timedelta(seconds=40 * i)
        voter = world.voter(created)
        planted.append(
            world.vote(
                voter,
                target,
                created + timedelta(seconds=3),
                ip=f"117.136.{i}.9",  # mobile data, a different IP each
                user_agent=USER_AGENTS[i % 8],
                device_id=world.device(),
            )
        )

    scan(world)

    flag = FraudFlag.objects.get()
    assert (flag.kind, flag.key, flag.entry) == ("fast_new_account", f"fast:{target.pk}", target)
    assert set(flag.votes.values_list("pk", flat=True)) == {v.pk for v in planted}
    assert flag.evidence["voters"] == 7
    assert flag.evidence["seconds_from_sign_up_max"] == 3.0
    assert flag.evidence["fast_vote_seconds"] == 10


def test_a_burst_on_one_entry_against_its_history_fires(world):
    target = world.entries[0]
    assert Vote.objects.filter(entry=target).count() > 10  # it has a history
    start = world.now - timedelta(hours=1)
    planted = []
    for i in range(30):
        voter = world.voter(world.now - timedelta(days=4, minutes=17 * i))
        world.active(voter, timezone.localdate(world.now))
        planted.append(
            world.vote(
                voter,
                target,
                start + timedelta(seconds=15 * i),
                user_agent=USER_AGENTS[i % 8],
                device_id=world.device(),
            )
        )

    scan(world)

    flag = FraudFlag.objects.get()
    assert (flag.kind, flag.entry) == ("entry_burst", target)
    assert set(flag.votes.values_list("pk", flat=True)) == {v.pk for v in planted}
    assert flag.evidence["max_votes_in_window"] >= 20
    assert flag.evidence["threshold"] == 20
    assert flag.evidence["ordinary_votes_per_window"] <= 2
    assert flag.evidence["voters_signed_up_within_hour"] == 0
    assert flag.severity == FraudFlag.Severity.LOW  # established accounts: could be a class


def test_a_popular_entrys_ordinary_busy_window_is_not_a_burst():
    world = make_world(n_entries=1)
    popular = world.entries[0]
    base = world.now - timedelta(days=2)
    base = base.replace(minute=0, second=0, microsecond=0)

    def window_of(n: int, start: datetime) -> list[Vote]:
        return [
            world.vote(
                world.voter(start - timedelta(days=1)),
                popular,
                start + timedelta(seconds=10 * i),
                device_id=world.device(),
            )
            for i in range(n)
        ]

    for hour in range(12):
        window_of(8, base + timedelta(hours=hour))  # ordinary: 8 votes per window
    busy = base + timedelta(hours=20)
    window_of(30, busy)  # above the minimum, but under 5 × 8

    scan(world)
    assert not FraudFlag.objects.exists()

    window_of(15, busy + timedelta(minutes=5))  # now 45 within ten minutes
    scan(world)
    flag = FraudFlag.objects.get()
    assert flag.kind == "entry_burst"
    assert flag.evidence["ordinary_votes_per_window"] == 8
    assert flag.evidence["threshold"] == 41


def test_new_voters_never_active_afterwards_concentrated_on_one_entry_fire(world):
    target = EntryFactory(campaign=world.campaign)
    when = world.now - timedelta(days=5)
    planted = []
    for i in range(12):
        created = when + timedelta(minutes=47 * i)
        voter = world.voter(created)
        planted.append(
            world.vote(
                voter,
                target,
                created + timedelta(minutes=3),
                user_agent=USER_AGENTS[i % 8],
                device_id=world.device(),
            )
        )

    scan(world)

    flag = FraudFlag.objects.get()
    assert (flag.kind, flag.key, flag.entry) == ("never_active", f"inactive:{target.pk}", target)
    assert set(flag.votes.values_list("pk", flat=True)) == {v.pk for v in planted}
    assert (flag.evidence["new_voters"], flag.evidence["never_active"]) == (12, 12)
    assert flag.evidence["share"] == 1.0
    assert flag.evidence["campaign_share_elsewhere"] < 0.5


def test_late_app_activity_takes_a_voter_out_of_an_open_never_active_flag(world):
    target = EntryFactory(campaign=world.campaign)
    when = world.now - timedelta(days=5)
    voters = []
    for i in range(14):
        voter = world.voter(when + timedelta(minutes=47 * i))
        world.vote(
            voter, target, voter.first_seen_at + timedelta(minutes=3), device_id=world.device()
        )
        voters.append(voter)
    scan(world)
    assert FraudFlag.objects.get().votes.count() == 14

    # The app backend reports a late batch: one of them did use the app.
    world.active(voters[0], timezone.localdate(when) + timedelta(days=1))
    scan(world)

    flag = FraudFlag.objects.get()
    assert flag.votes.count() == 13
    assert not flag.votes.filter(voter=voters[0]).exists()
    assert (flag.evidence["new_voters"], flag.evidence["never_active"]) == (14, 13)


def test_never_active_waits_until_voters_are_old_enough(world):
    target = EntryFactory(campaign=world.campaign)
    when = world.now - timedelta(days=1)  # activity may still be on its way
    for i in range(12):
        voter = world.voter(when + timedelta(minutes=47 * i))
        world.vote(
            voter, target, voter.first_seen_at + timedelta(minutes=3), device_id=world.device()
        )
    scan(world)
    assert not FraudFlag.objects.exists()


def test_share_link_ring_fires(world):
    target = EntryFactory(campaign=world.campaign)
    start = world.now - timedelta(hours=2)
    planted = []
    for i in range(9):
        created = start + timedelta(seconds=80 * i)
        voter = world.voter(created, channel=Voter.Channel.SHARE, attributed_entry=target)
        planted.append(
            world.vote(
                voter,
                target,
                created + timedelta(minutes=2),
                ip=f"36.112.{i}.20",
                user_agent=USER_AGENTS[i % 8],
                device_id=world.device(),
            )
        )

    scan(world)

    flag = FraudFlag.objects.get()
    assert (flag.kind, flag.key, flag.entry) == ("share_ring", f"ring:{target.pk}", target)
    assert set(flag.votes.values_list("pk", flat=True)) == {v.pk for v in planted}
    assert flag.evidence["ring_accounts"] == 9
    assert flag.evidence["share_link_visitors_then"] == 0
    assert flag.severity == FraudFlag.Severity.MEDIUM  # nobody even opened the link


def test_share_sign_ups_who_also_vote_for_others_are_no_ring(world):
    target = EntryFactory(campaign=world.campaign)
    start = world.now - timedelta(hours=2)
    for i in range(9):
        created = start + timedelta(seconds=80 * i)
        voter = world.voter(created, channel=Voter.Channel.SHARE, attributed_entry=target)
        at = created + timedelta(minutes=2)
        world.vote(voter, target, at, device_id=world.device())
        world.vote(voter, world.entries[i % 3], at + timedelta(seconds=30))
        Visit.objects.create(
            visitor_id=f"v{i}",
            kind=Visit.Kind.SHARE_CLICK,
            campaign=world.campaign,
            entry=target,
            at=created - timedelta(seconds=30),
        )
    scan(world)
    assert not FraudFlag.objects.exists()


# --- Idempotency and review ---------------------------------------------------------------


def test_scanning_twice_creates_no_duplicates(world):
    plant_device_farm(world)
    first = scan(world)
    votes_flagged = FraudFlag.objects.get().votes.count()

    assert len(first) == 1
    assert scan(world) == []  # nothing new, nothing written
    assert FraudFlag.objects.count() == 1
    assert FraudFlag.objects.get().votes.count() == votes_flagged


def test_new_votes_under_a_known_pattern_update_its_flag(world):
    planted = plant_device_farm(world)
    scan(world)
    late = world.vote(
        world.voter(world.now - timedelta(days=3)),
        world.entries[0],
        planted[-1].cast_at + timedelta(minutes=1),
        device_id="farm-phone",
    )

    changed = scan(world)

    flag = FraudFlag.objects.get()
    assert changed == [flag]
    assert flag.votes.filter(pk=late.pk).exists()
    assert flag.evidence["voters"] == 7
    assert flag.status == "open"


def test_a_dismissed_flag_stays_dismissed_on_rescan(world, ops_user):
    plant_device_farm(world)
    scan(world)
    flag = FraudFlag.objects.get()
    fraud_review.fraud_flag_dismiss(flag_id=flag.pk, actor=ops_user, note="宿舍共用手机，已核实")

    assert scan(world) == []

    flag.refresh_from_db()
    assert flag.status == "dismissed"
    assert flag.review_note == "宿舍共用手机，已核实"
    assert flag.reviewed_by == ops_user
    assert AuditLog.objects.filter(action="fraud_flag.dismiss").count() == 1


def test_a_dismissed_flag_reopens_only_for_new_suspect_votes(world, ops_user):
    planted = plant_device_farm(world)
    scan(world)
    flag = FraudFlag.objects.get()
    fraud_review.fraud_flag_dismiss(flag_id=flag.pk, actor=ops_user, note="looked fine")
    world.vote(
        world.voter(world.now - timedelta(days=3)),
        world.entries[0],
        planted[-1].cast_at + timedelta(minutes=1),
        device_id="farm-phone",
    )

    scan(world)

    flag.refresh_from_db()
    assert flag.status == "open"
    assert flag.reviewed_by is None
    assert flag.review_history[0]["status"] == "dismissed"
    assert flag.review_history[0]["note"] == "looked fine"
    assert flag.review_history[0]["votes_then"] == 6


def test_confirming_invalidates_the_flags_votes(world, ops_user):
    planted = plant_device_farm(world)
    scan(world)
    flag = FraudFlag.objects.get()
    valid_before = Vote.objects.filter(status="valid").count()

    n = fraud_review.fraud_flag_confirm(flag_id=flag.pk, actor=ops_user, reason="刷票")

    assert n == 6
    assert Vote.objects.filter(status="valid").count() == valid_before - 6
    assert set(Vote.objects.filter(status="invalidated").values_list("pk", flat=True)) == {
        v.pk for v in planted
    }
    # Rescanning a confirmed flag's (now invalidated) pattern reopens nothing.
    assert scan(world) == []
    flag.refresh_from_db()
    assert flag.status == "confirmed"


def test_confirming_a_flag_closes_the_flags_it_leaves_without_valid_votes(world, ops_user):
    # A scripted farm: one phone, one user agent, accounts created together from one IP:
    # a device flag and a user-agent flag over the same votes.
    start = world.now - timedelta(hours=2, minutes=30)
    script = "python-requests/2.31.0"
    for i in range(6):
        voter = world.voter(start + timedelta(minutes=i))
        world.vote(
            voter,
            world.entries[i % 2],
            start + timedelta(minutes=i + 2),
            user_agent=script,
            device_id="farm-phone",
        )
    scan(world)
    device = FraudFlag.objects.get(kind="device_cluster")
    agent = FraudFlag.objects.get(kind="user_agent_cluster")
    assert set(device.votes.all()) == set(agent.votes.all())
    # An unrelated open flag, and one sharing a vote but keeping a valid one of its own.
    unrelated = FraudFlag.objects.create(campaign=world.campaign, kind="burst", key="other")
    unrelated.votes.add(world.vote(world.voter(start), world.entries[2], start))
    partly = FraudFlag.objects.create(campaign=world.campaign, kind="burst", key="partly")
    partly.votes.add(device.votes.first(), world.vote(world.voter(start), world.entries[2], start))

    assert fraud_review.fraud_flag_confirm(flag_id=device.pk, actor=ops_user, reason="刷票") == 6

    agent.refresh_from_db()
    assert (agent.status, agent.reviewed_by) == ("confirmed", ops_user)
    assert f"#{device.pk}" in agent.review_note and "刷票" in agent.review_note
    assert FraudFlag.objects.get(pk=unrelated.pk).status == "open"
    assert FraudFlag.objects.get(pk=partly.pk).status == "open"


# --- Admin --------------------------------------------------------------------------------


@pytest.fixture
def farm_flag(world) -> tuple[FraudFlag, list[Vote]]:
    planted = plant_device_farm(world)
    scan(world)
    return FraudFlag.objects.get(), planted


def test_staff_see_flags_with_evidence_and_suspect_votes(ops_client, farm_flag):
    flag, planted = farm_flag
    listing = ops_client.get(reverse(CHANGELIST))
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [flag]
    assert listing.context["cl"].result_list[0].n_votes == 6
    assert page_says(listing, "many voters on one device")  # zh-hans by default
    detail = ops_client.get(reverse("admin:voting_fraudflag_change", args=[flag.pk]))
    assert detail.status_code == 200
    page = detail.content.decode()
    # The evidence as a translated table (voting/selectors/fraud_review.py).
    assert "farm-phone" in page and "10 分钟内最多" in page
    for vote in planted:
        assert reverse("admin:voting_vote_change", args=[vote.pk]) in page
        # Cast times in Asia/Shanghai, like every other time in admin, not in UTC.
        assert f"{timezone.localtime(vote.cast_at):%Y-%m-%d %H:%M:%S}" in page


def test_admin_confirm_asks_for_a_reason_first(ops_client, farm_flag):
    flag, _planted = farm_flag
    response = ops_client.post(
        reverse(CHANGELIST), {"action": "confirm_flags", "_selected_action": [flag.pk]}
    )
    assert response.status_code == 200
    assert response.templates[0].name == "admin/voting/fraudflag/review.html"
    assert not Vote.objects.filter(status="invalidated").exists()


def test_admin_confirm_without_reason_changes_nothing(ops_client, farm_flag):
    flag, _planted = farm_flag
    response = ops_client.post(
        reverse(CHANGELIST),
        {"action": "confirm_flags", "apply": "1", "reason": "  ", "_selected_action": [flag.pk]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert not Vote.objects.filter(status="invalidated").exists()
    assert not AuditLog.objects.exists()
    flag.refresh_from_db()
    assert flag.status == "open"


def test_admin_confirm_invalidates_exactly_the_flags_votes(ops_client, ops_user, farm_flag):
    flag, planted = farm_flag
    total = Vote.objects.count()

    response = ops_client.post(
        reverse(CHANGELIST),
        {
            "action": "confirm_flags",
            "apply": "1",
            "reason": "同一设备批量投票",
            "_selected_action": [flag.pk],
        },
    )

    assert response.status_code == 302
    assert Vote.objects.count() == total  # rows stay
    invalid = Vote.objects.filter(status="invalidated")
    assert set(invalid.values_list("pk", flat=True)) == {v.pk for v in planted}
    assert set(invalid.values_list("invalidated_by", flat=True)) == {ops_user.pk}
    log = AuditLog.objects.get(action="votes.invalidate")
    assert log.actor == ops_user
    assert log.reason.startswith("同一设备批量投票")
    assert log.data == {"votes": 6}
    flag.refresh_from_db()
    assert (flag.status, flag.reviewed_by, flag.review_note) == (
        "confirmed",
        ops_user,
        "同一设备批量投票",
    )
    assert flag.reviewed_at is not None


def test_admin_dismiss_keeps_votes_valid(ops_client, ops_user, farm_flag):
    flag, _planted = farm_flag
    response = ops_client.post(
        reverse(CHANGELIST),
        {"action": "dismiss_flags", "apply": "1", "reason": "室友", "_selected_action": [flag.pk]},
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.status, flag.reviewed_by, flag.review_note) == ("dismissed", ops_user, "室友")
    assert not Vote.objects.filter(status="invalidated").exists()


def test_ambassadors_cannot_see_fraud_flags(ambassador_client, farm_flag):
    flag, _planted = farm_flag
    assert ambassador_client.get(reverse(CHANGELIST)).status_code == 403
    change = reverse("admin:voting_fraudflag_change", args=[flag.pk])
    assert ambassador_client.get(change).status_code == 403
    index = ambassador_client.get(reverse("admin:index"))
    assert "fraudflag" not in index.content.decode()


# --- Task, schedule, command --------------------------------------------------------------


def test_scan_task_runs_and_is_safe_for_a_missing_campaign(world):
    plant_device_farm(world, at=timezone.now() - timedelta(hours=2))
    assert fraud_scan_task(world.campaign.pk) == 1
    assert fraud_scan_task(world.campaign.pk) == 0
    assert fraud_scan_task(999_999) == 0


def test_periodic_scan_fans_out_one_task_per_campaign_being_voted_on(monkeypatch):
    now = timezone.now()

    def ended(days_ago: int, **fields):
        return CampaignFactory(
            submission_starts_at=now - timedelta(days=days_ago + 10),
            submission_ends_at=now - timedelta(days=days_ago + 5),
            voting_starts_at=now - timedelta(days=days_ago + 7),
            voting_ends_at=now - timedelta(days=days_ago),
            **fields,
        )

    voting = CampaignFactory()
    closed_lately = ended(2, status="closed")  # its last voters are not judged yet
    CampaignFactory(status="draft")
    ended(20, status="closed")
    sent = []
    monkeypatch.setattr(fraud_scan_task, "delay", sent.append)

    assert fraud_scan_open() == 2
    assert sorted(sent) == sorted([voting.pk, closed_lately.pk])


def test_the_scan_is_scheduled_every_ten_minutes():
    task = PeriodicTask.objects.get(task="voting.tasks_fraud.fraud_scan_open")
    assert (task.interval.every, task.interval.period, task.enabled) == (10, "minutes", True)
    from config.celery import app

    app.loader.import_default_modules()
    assert {"voting.tasks_fraud.fraud_scan_open", "voting.tasks_fraud.fraud_scan_campaign"} <= set(
        app.tasks
    )


def test_fraud_scan_command(world, capsys):
    plant_device_farm(world, at=timezone.now() - timedelta(hours=2))
    call_command("fraud_scan", world.campaign.slug)
    out = capsys.readouterr().out
    assert "1 flags created or updated." in out
    assert "device:farm-phone" in out
    with pytest.raises(CommandError):
        call_command("fraud_scan", "no-such-campaign")
