"""Demo data for trying the admin, the API and the reports: ``manage.py seed_demo``.

A pilot at 复旦大学 with a contest being voted on now and a daily-topic campaign, and a
finished pilot at 同济大学 whose retention is mature, so every report has something to say.

Why it is built the way it is:

- **Deterministic.** Every random choice comes from ``random.Random(SEED)``, split into one
  generator per section drawn in a fixed order, so a section never shifts another's draws
  and nothing depends on what the database already holds. Only the anchor (``now``) moves.
- **Idempotent.** Rows with a natural key (school slug, campaign slug, round number,
  student id, username, ...) are fetched or created by it. History (voters, votes, visits,
  app activity, work logs) has no key that survives a later day, so it is written once:
  when the demo contest has no votes yet. A rerun on a later day only stretches the open
  campaigns' windows so they still contain now; it adds no rows.
- **Honest.** Votes go through ``voting.services.votes.vote_cast`` like every other entry point,
  so the demo never holds a vote the policy would refuse; some planned votes overshoot the
  limits on purpose, and their refusals are counted, not hidden.
"""

from __future__ import annotations

import io
import math
import os
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont, ImageOps

from ambassadors.models import Ambassador, WorkLog
from campaigns.models import Campaign, Expense, Pilot, Prize, Round, School
from campaigns.rules import AMBASSADOR_GROUP, OPS_GROUP
from campaigns.services import campaign_first_round_ensure
from core.codes import ALPHABET
from core.errors import DomainError
from core.images import photo_ingest
from voting.models import Activity, Entry, LeaderboardSnapshot, Visit, Vote, Voter
from voting.services.entry_files import entry_files_sync
from voting.services.leaderboards import leaderboard_refresh_campaign
from voting.services.photos import entry_derivatives_generate, entry_poster_generate
from voting.services.votes import vote_cast

SEED = 20261125

PASSWORD_ENV = "DEMO_PASSWORD"
DEFAULT_PASSWORD = "demo-pass-2026"
ADMIN_USERNAME = "admin"
STAFF_USERNAME = "demo-staff"
INTERN_USERNAME = "demo-intern"

CONTEST_SLUG = "fudan-running-star-2026"
DAILY_SLUG = "fudan-daily-run-topics"
TONGJI_SLUG = "tongji-campus-runner"

# Sections of the seed, each with its own generator (see the module docstring).
_SECTIONS = (
    "ambassadors",
    "entries",
    "phones",
    "fudan",
    "tongji",
    "visits",
    "activity",
    "work_logs",
)

SCHOOLS = (
    # name, slug, city, province, estimated student population
    ("复旦大学", "fudan", "上海", "上海", 32000),
    ("同济大学", "tongji", "上海", "上海", 37000),
    # No pilot yet: the school a pilot is replicated to in a demo of that admin action.
    ("浙江大学", "zju", "杭州", "浙江", 54000),
)

AMBASSADORS = {
    # school slug: (name, role, hourly rate, stipend)
    "fudan": (
        ("王思远", Ambassador.Role.LEAD, "40.00", "1500.00"),
        ("李欣怡", Ambassador.Role.INTERN, "25.00", "0.00"),
        ("张浩然", Ambassador.Role.INTERN, "25.00", "0.00"),
        ("刘雨桐", Ambassador.Role.INTERN, "25.00", "0.00"),
        ("陈子轩", Ambassador.Role.INTERN, "22.00", "0.00"),
    ),
    "tongji": (
        ("赵一鸣", Ambassador.Role.LEAD, "35.00", "1000.00"),
        ("孙佳琪", Ambassador.Role.INTERN, "25.00", "0.00"),
    ),
}

DAILY_TOPICS = ("最佳跑者", "最美腹肌", "夜跑最快", "晨跑打卡", "最美跑道", "接力最强", "最佳装备")
# Daily-topic rounds that have entries: the three past days and today's.
DAILY_ROUNDS_WITH_ENTRIES = 4

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓"
    "曹彭曾田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江"
)
GIVEN_NAME_CHARS = (
    "子浩然宇轩欣怡雨桐思远梓涵一诺佳琪俊杰晨曦"
    "家豪嘉明若天佑诗博文语嫣志强静雅婷昊振晓峰梦瑶心瑞泽可馨亦凡"
)
CAPTIONS = (
    "每天 5 公里，坚持第 100 天！",
    "江湾体育场的日落，跑完这一圈就是夏天。",
    "第一次跑进 25 分钟，给自己点赞。",
    "和室友一起夜跑，光华楼的灯还亮着。",
    "半马备赛中，求大家投我一票！",
    "雨天也不停，跑步是最好的解压方式。",
    "从 0 到 10 公里，只用了一个学期。",
    "清晨六点的操场属于我们。",
    "跑步让我认识了最好的朋友。",
    "为了校运会的 3000 米，冲！",
    "配速 4 分 50，今天状态在线。",
    "希望更多同学加入我们的跑团。",
)
WORK_TASKS = (
    "食堂门口摆摊宣传",
    "微信群推广投票链接",
    "宿舍楼张贴海报",
    "审核参赛照片",
    "统计投票数据",
    "线下扫码注册引导",
    "联系参赛选手",
    "整理奖品发放名单",
)
USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49",
    "Mozilla/5.0 (Linux; Android 14; 23049RAD8C) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.47",
    "Mozilla/5.0 (Linux; Android 13; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/112.0 Mobile Safari/537.36 Weibo (vivo-V2309A__weibo__14.5.0__android__android13)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
)
PHOTO_COLOURS = (
    (239, 83, 80),
    (255, 167, 38),
    (255, 213, 79),
    (102, 187, 106),
    (38, 166, 154),
    (41, 182, 246),
    (92, 107, 192),
    (171, 71, 188),
    (236, 64, 122),
    (141, 110, 99),
)
PHOTO_SIZE = (600, 800)

# Volumes: about 500 voters and a few thousand votes keep the seed well under a minute
# on SQLite while every chart and leaderboard has a believable shape.
FUDAN_NEW_VOTERS = 400
FUDAN_EXISTING_USERS = 30
SOCKPUPPETS = 12
TONGJI_VOTERS = 80
# Anonymous visitors who never signed in, so unique visitors are about 3x the voters.
FUDAN_BYSTANDERS = 1050
DAILY_BYSTANDERS = 150
TONGJI_BYSTANDERS = 170


def demo_password() -> str:
    """The password of the three demo logins: local demo only, overridable by env."""
    return os.environ.get(PASSWORD_ENV) or DEFAULT_PASSWORD


def demo_seed(*, now: datetime | None = None, stdout: TextIO | None = None) -> dict[str, int]:
    """Create or complete the demo data and return the row counts it leaves.

    ``now`` anchors every time (tests replay a rerun on a later day with it). The counts
    are totals in the database, plus ``votes_refused``: planned votes the policy refused
    in this run (0 on a rerun, which casts nothing).
    """
    now = now or timezone.now()
    say = _printer(stdout)
    master = random.Random(SEED)
    rngs = {name: random.Random(master.getrandbits(64)) for name in _SECTIONS}
    refused = 0
    with transaction.atomic():
        users = _seed_users()
        schools = _seed_schools()
        fudan_pilot, tongji_pilot = _seed_pilots(schools, owner=users.staff, now=now)
        ambassadors = _seed_ambassadors(schools, rng=rngs["ambassadors"], login=users.intern)
        contest, daily, tongji = _seed_campaigns(fudan_pilot, tongji_pilot, now=now)
        _seed_prizes(contest, daily, tongji)
        _seed_expenses(fudan_pilot, tongji_pilot, contest, daily, tongji)
        say("Schools, pilots, campaigns, prizes, expenses and ambassadors are in place.")
        entries = _seed_entries(contest, daily, tongji, ambassadors, rng=rngs["entries"])
        say(f"{sum(len(group) for group in entries.values())} entries with photos.")
        if Vote.objects.filter(campaign=contest).exists():
            say("History (voters, votes, visits, activity, work logs) exists: kept as is.")
        else:
            refused = _seed_history(
                now=now,
                rngs=rngs,
                campaigns=(contest, daily, tongji),
                entries=entries,
                ambassadors=ambassadors,
                say=say,
            )
        leaderboard_refresh_campaign(campaign_id=contest.pk)
        leaderboard_refresh_campaign(campaign_id=daily.pk)
        # The closed campaign's standing is final: the one its prizes are awarded from.
        leaderboard_refresh_campaign(campaign_id=tongji.pk, final=True)
    counts = demo_counts()
    counts["votes_refused"] = refused
    return counts


def demo_counts() -> dict[str, int]:
    """Rows in the database of every model the demo writes."""
    models = {
        "schools": School,
        "pilots": Pilot,
        "campaigns": Campaign,
        "rounds": Round,
        "prizes": Prize,
        "expenses": Expense,
        "ambassadors": Ambassador,
        "work_logs": WorkLog,
        "entries": Entry,
        "voters": Voter,
        "votes": Vote,
        "visits": Visit,
        "activity": Activity,
        "leaderboard_snapshots": LeaderboardSnapshot,
    }
    return {name: model.objects.count() for name, model in models.items()}


def _printer(stdout: TextIO | None) -> Callable[[str], None]:
    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message + "\n")

    return say


# --- Logins ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Users:
    admin: AbstractBaseUser
    staff: AbstractBaseUser
    intern: AbstractBaseUser


def _seed_users() -> _Users:
    password = demo_password()
    return _Users(
        admin=_login(ADMIN_USERNAME, password=password, superuser=True, group=None),
        staff=_login(STAFF_USERNAME, password=password, superuser=False, group=OPS_GROUP),
        intern=_login(INTERN_USERNAME, password=password, superuser=False, group=AMBASSADOR_GROUP),
    )


def _login(username: str, *, password: str, superuser: bool, group: str | None):
    """Create a demo login, or only repair what stops an existing one from working: a
    rerun must not reset what someone changed on purpose, such as a name or an e-mail."""
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={"is_staff": True, "is_superuser": superuser, "email": f"{username}@example.com"},
    )
    repaired = created
    if not (user.is_active and user.is_staff):
        user.is_active = user.is_staff = True
        repaired = True
    if superuser and not user.is_superuser:
        user.is_superuser = True
        repaired = True
    if created or not user.check_password(password):
        user.set_password(password)
        repaired = True
    if repaired:
        user.save()
    if group:
        # The groups come with their permissions from migration ambassadors/0002_roles.
        user.groups.add(Group.objects.get(name=group))
    return user


# --- Schools, pilots, campaigns ---------------------------------------------------------


def _seed_schools() -> dict[str, School]:
    schools = {}
    for name, slug, city, province, population in SCHOOLS:
        school, _created = School.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "city": city,
                "province": province,
                "student_population": population,
            },
        )
        schools[slug] = school
    return schools


def _seed_pilots(
    schools: dict[str, School], *, owner: AbstractBaseUser, now: datetime
) -> tuple[Pilot, Pilot]:
    today = timezone.localdate(now)
    fudan, _created = Pilot.objects.get_or_create(
        school=schools["fudan"],
        name="校园跑步推广试点",
        defaults={
            "status": Pilot.Status.RUNNING,
            "starts_on": today - timedelta(days=12),
            "ends_on": today + timedelta(days=30),
            "budget": Decimal("20000.00"),
            "owner": owner,
            "target_max_cost_per_retained_user": Decimal("60.00"),
            "target_min_d7_retention": Decimal("0.300"),
        },
    )
    tongji, _created = Pilot.objects.get_or_create(
        school=schools["tongji"],
        name="春季校园跑者试点",
        defaults={
            "status": Pilot.Status.COMPLETED,
            "starts_on": today - timedelta(days=60),
            "ends_on": today - timedelta(days=35),
            "budget": Decimal("12000.00"),
            "owner": owner,
            "target_max_cost_per_retained_user": Decimal("80.00"),
            "target_min_d7_retention": Decimal("0.250"),
        },
    )
    return fudan, tongji


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.get_current_timezone())


def _seed_campaigns(
    fudan: Pilot, tongji: Pilot, *, now: datetime
) -> tuple[Campaign, Campaign, Campaign]:
    hour = now.replace(minute=0, second=0, microsecond=0)
    today = timezone.localdate(now)
    contest, created = Campaign.objects.get_or_create(
        slug=CONTEST_SLUG,
        defaults={
            "pilot": fudan,
            "kind": Campaign.Kind.CONTEST,
            "title": "复旦校园跑步之星评选",
            "rules": (
                "上传一张你的跑步照片参赛；每位同学每天可投 3 票，同一选手每天限 1 票。"
                "前十名获得奖品，刷票一经发现取消资格。"
            ),
            "status": Campaign.Status.OPEN,
            "submission_starts_at": hour - timedelta(days=10),
            "submission_ends_at": hour + timedelta(days=4),
            "voting_starts_at": hour - timedelta(days=6),
            "voting_ends_at": hour + timedelta(days=8),
            "votes_per_day": 3,
            "votes_per_entry_per_day": 1,
        },
    )
    campaign_first_round_ensure(campaign=contest)
    if not created:
        _keep_open(contest, now=now, submission_left=timedelta(days=4))

    first_day = today - timedelta(days=3)
    daily, created = Campaign.objects.get_or_create(
        slug=DAILY_SLUG,
        defaults={
            "pilot": fudan,
            "kind": Campaign.Kind.DAILY_TOPIC,
            "title": "复旦每日跑步话题",
            "rules": "每天一个话题，当天投票当天出榜；每人每天 2 票，同一选手限 1 票。",
            "status": Campaign.Status.OPEN,
            "submission_starts_at": _local_midnight(first_day - timedelta(days=1)),
            "submission_ends_at": _local_midnight(first_day + timedelta(days=len(DAILY_TOPICS))),
            "voting_starts_at": _local_midnight(first_day),
            "voting_ends_at": _local_midnight(first_day + timedelta(days=len(DAILY_TOPICS))),
            "votes_per_day": 2,
            "votes_per_entry_per_day": 1,
        },
    )
    # One round per topic and local day, from the campaign's stored first voting day so
    # that a rerun on a later day finds the same rounds.
    daily_first_day = timezone.localdate(daily.voting_starts_at)
    for number, topic in enumerate(DAILY_TOPICS, start=1):
        day = daily_first_day + timedelta(days=number - 1)
        Round.objects.get_or_create(
            campaign=daily,
            number=number,
            defaults={
                "topic": topic,
                "voting_starts_at": _local_midnight(day),
                "voting_ends_at": _local_midnight(day + timedelta(days=1)),
            },
        )
    if not created:
        _keep_open(daily, now=now, submission_left=timedelta(days=1))

    tongji_campaign, _created = Campaign.objects.get_or_create(
        slug=TONGJI_SLUG,
        defaults={
            "pilot": tongji,
            "kind": Campaign.Kind.CONTEST,
            "title": "同济校园跑者评选",
            "rules": "仅限同济在校生投票；每人每天 5 票，同一选手每天限 2 票。",
            "status": Campaign.Status.CLOSED,
            "submission_starts_at": hour - timedelta(days=56),
            "submission_ends_at": hour - timedelta(days=49),
            "voting_starts_at": hour - timedelta(days=50),
            "voting_ends_at": hour - timedelta(days=43),
            "votes_per_day": 5,
            "votes_per_entry_per_day": 2,
            "school_voters_only": True,
        },
    )
    campaign_first_round_ensure(campaign=tongji_campaign)
    return contest, daily, tongji_campaign


def _keep_open(campaign: Campaign, *, now: datetime, submission_left: timedelta) -> None:
    """On a rerun, keep an open demo campaign open for submissions and votes now.

    Windows are stretched, never shifted: the votes already cast stay inside the voting
    window. A daily-topic campaign's last round stretches with it, so a round is open.
    """
    margin = timedelta(days=1)
    changed: list[str] = []
    if campaign.status != Campaign.Status.OPEN:
        campaign.status = Campaign.Status.OPEN
        changed.append("status")
    if campaign.submission_ends_at < now + margin:
        campaign.submission_ends_at = now + submission_left
        changed.append("submission_ends_at")
    if campaign.voting_ends_at < now + margin:
        campaign.voting_ends_at = max(now + 2 * margin, campaign.submission_ends_at)
        changed.append("voting_ends_at")
    if not changed:
        return
    campaign.save(update_fields=changed)
    last_round = campaign.rounds.order_by("-number").first()
    if last_round and last_round.voting_ends_at and last_round.voting_ends_at < now + margin:
        last_round.voting_ends_at = campaign.voting_ends_at
        last_round.save(update_fields=["voting_ends_at"])
    pilot = campaign.pilot
    if pilot.ends_on < timezone.localdate(campaign.voting_ends_at):
        pilot.ends_on = timezone.localdate(campaign.voting_ends_at)
        pilot.status = Pilot.Status.RUNNING
        pilot.save(update_fields=["ends_on", "status"])


def _seed_prizes(contest: Campaign, daily: Campaign, tongji: Campaign) -> None:
    prizes = (
        (contest, 1, 1, "华为运动手表 GT", "1299.00"),
        (contest, 2, 3, "小米手环 9", "249.00"),
        (contest, 4, 10, "定制跑团 T 恤 + 运动水杯", "89.00"),
        # Without a round: the prize of every daily round.
        (daily, 1, 1, "跑步袜礼盒", "59.00"),
        (daily, 2, 3, "能量胶套装", "39.00"),
        (tongji, 1, 1, "Keep 年度会员 + 运动耳机", "899.00"),
        (tongji, 2, 3, "运动腰包", "129.00"),
        (tongji, 4, 10, "同济跑团纪念徽章", "29.00"),
    )
    for campaign, rank_from, rank_to, name, unit_cost in prizes:
        Prize.objects.get_or_create(
            campaign=campaign,
            round=None,
            rank_from=rank_from,
            rank_to=rank_to,
            defaults={"name": name, "unit_cost": Decimal(unit_cost), "quantity": 1},
        )


def _seed_expenses(
    fudan: Pilot, tongji: Pilot, contest: Campaign, daily: Campaign, tongji_campaign: Campaign
) -> None:
    """Expenses keyed by pilot, category and note; dates from the pilot's stored start."""
    expenses = (
        (fudan, contest, Expense.Category.PRINTING, "800.00", 1, "海报与易拉宝印刷"),
        (fudan, contest, Expense.Category.ADVERTISING, "3000.00", 3, "朋友圈定向广告"),
        (fudan, contest, Expense.Category.VENUE, "500.00", 2, "食堂门口摊位场地费"),
        (fudan, None, Expense.Category.DESIGN, "600.00", 0, "活动主视觉设计"),
        (fudan, None, Expense.Category.TECHNOLOGY, "320.00", 4, "短信验证码费用"),
        (fudan, daily, Expense.Category.PR, "400.00", 8, "校园公众号推文"),
        (fudan, None, Expense.Category.TRAVEL, "180.00", 5, "运营经理往返交通"),
        (tongji, tongji_campaign, Expense.Category.PRINTING, "650.00", 2, "海报印刷"),
        (tongji, tongji_campaign, Expense.Category.ADVERTISING, "1800.00", 4, "微博校园推广"),
        (tongji, None, Expense.Category.OTHER, "260.00", 6, "颁奖活动饮料"),
    )
    for pilot, campaign, category, amount, day, note in expenses:
        Expense.objects.get_or_create(
            pilot=pilot,
            category=category,
            note=note,
            defaults={
                "campaign": campaign,
                "amount": Decimal(amount),
                "spent_on": pilot.starts_on + timedelta(days=day),
            },
        )


# --- Ambassadors --------------------------------------------------------------------------


def _code(rng: random.Random, length: int = 8) -> str:
    """A share or referral code in the alphabet of ``core.codes``, but reproducible."""
    return "".join(rng.choice(ALPHABET) for _ in range(length))


def _seed_ambassadors(
    schools: dict[str, School], *, rng: random.Random, login: AbstractBaseUser
) -> dict[str, list[Ambassador]]:
    result: dict[str, list[Ambassador]] = {}
    for slug, team in AMBASSADORS.items():
        result[slug] = []
        for number, (name, role, rate, stipend) in enumerate(team, start=1):
            referral_code = _code(rng)  # drawn before the lookup: same draws on a rerun
            phone = f"+86139{rng.randrange(10**8):08d}"
            ambassador, _created = Ambassador.objects.get_or_create(
                school=schools[slug],
                student_id=f"{slug[:2].upper()}2024{number:04d}",
                defaults={
                    "name": name,
                    "phone": phone,
                    "email": f"{slug}-ambassador-{number}@example.com",
                    "role": role,
                    "hourly_rate": Decimal(rate),
                    "stipend": Decimal(stipend),
                    "referral_code": referral_code,
                },
            )
            result[slug].append(ambassador)
    _link_intern_login(result["fudan"][0], login)
    return result


def _link_intern_login(lead: Ambassador, login: AbstractBaseUser) -> None:
    """The demo ambassador login is the Fudan lead's, unless either is linked elsewhere
    already (a rerun keeps what staff set up)."""
    if lead.user_id is None and not Ambassador.objects.filter(user=login).exists():
        lead.user = login
        lead.save(update_fields=["user"])
    if lead.user_id == login.pk and not lead.active:
        # An inactive ambassador's login sees no school at all.
        lead.active = True
        lead.save(update_fields=["active"])


# --- Entries and their photos -------------------------------------------------------------


def _chinese_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN_NAME_CHARS) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


@dataclass(frozen=True)
class _EntrySpec:
    round: Round
    student_id: str
    status: str
    submitted_by: Ambassador | None
    submitted_at: datetime


def _seed_entries(
    contest: Campaign,
    daily: Campaign,
    tongji: Campaign,
    ambassadors: dict[str, list[Ambassador]],
    *,
    rng: random.Random,
) -> dict[str, list[Entry]]:
    """Entries by campaign slug, each with a photo and a thumbnail file.

    A third of the entries came in through an ambassador's roster, the rest from the
    contestants themselves (their voter accounts are linked with the history).
    """
    approved, pending, rejected = (
        Entry.Status.APPROVED,
        Entry.Status.PENDING,
        Entry.Status.REJECTED,
    )
    specs: dict[str, list[_EntrySpec]] = {CONTEST_SLUG: [], DAILY_SLUG: [], TONGJI_SLUG: []}
    contest_round = contest.rounds.get(number=1)
    fudan_team = ambassadors["fudan"]
    for i in range(30):
        status = {7: pending, 19: pending, 12: rejected, 26: rejected}.get(i, approved)
        specs[CONTEST_SLUG].append(
            _EntrySpec(
                round=contest_round,
                student_id=f"2230018{i + 1:04d}",
                status=status,
                submitted_by=fudan_team[1 + i % 4] if i % 3 == 0 else None,
                submitted_at=contest.submission_starts_at + timedelta(hours=5 + 7 * i),
            )
        )
    for round_ in daily.rounds.filter(number__lte=DAILY_ROUNDS_WITH_ENTRIES):
        for i in range(4):
            last_of_today = round_.number == DAILY_ROUNDS_WITH_ENTRIES and i == 3
            specs[DAILY_SLUG].append(
                _EntrySpec(
                    round=round_,
                    student_id=f"2330021{round_.number:02d}{i + 1:02d}",
                    status=pending if last_of_today else approved,
                    submitted_by=None,
                    submitted_at=round_.voting_starts_at - timedelta(hours=10 - i),
                )
            )
    tongji_round = tongji.rounds.get(number=1)
    tongji_team = ambassadors["tongji"]
    for i in range(12):
        specs[TONGJI_SLUG].append(
            _EntrySpec(
                round=tongji_round,
                student_id=f"215{i + 1:04d}",
                status=rejected if i == 9 else approved,
                submitted_by=tongji_team[i % 2] if i % 2 == 0 else None,
                submitted_at=tongji.submission_starts_at + timedelta(hours=4 + 9 * i),
            )
        )

    campaigns = {CONTEST_SLUG: contest, DAILY_SLUG: daily, TONGJI_SLUG: tongji}
    result: dict[str, list[Entry]] = {}
    for slug, group in specs.items():
        result[slug] = []
        for number, spec in enumerate(group, start=1):
            # Drawn before the lookup so a rerun makes the same draws.
            name, caption, share_code = _chinese_name(rng), rng.choice(CAPTIONS), _code(rng)
            entry, created = Entry.objects.get_or_create(
                round=spec.round,
                student_id=spec.student_id,
                defaults={
                    "campaign": campaigns[slug],
                    "name": name,
                    "caption": caption,
                    "status": spec.status,
                    "submitted_by": spec.submitted_by,
                    "share_code": share_code,
                },
            )
            if created:
                # auto_now_add stamped the seed's run; the demo says when it came in.
                Entry.objects.filter(pk=entry.pk).update(created_at=spec.submitted_at)
                entry.created_at = spec.submitted_at
            _ensure_photo(entry, label=f"#{number:02d}")
            result[slug].append(entry)
    return result


def _ensure_photo(entry: Entry, *, label: str) -> None:
    """Give the entry a photo under a fixed name unless it exists, then its thumbnails
    and (approved) share poster, through the same photo services as real uploads.

    Fixed names (``demo/entry-<share code>.jpg``) rather than the field's dated
    ``upload_to``: the storage would otherwise add a random suffix on every rerun. The
    thumbnails and posters are named after their inputs, so a rerun finds them.
    """
    storage = entry.photo.storage
    if not entry.photo or not storage.exists(entry.photo.name):
        drawn = _draw_photo(seed=f"{SEED}:{entry.share_code}", label=label)
        stored = photo_ingest(io.BytesIO(drawn), stem=f"entry-{entry.share_code}")
        entry.photo.name = _store(storage, f"demo/{stored.name}", stored.read())
        entry.save(update_fields=["photo"])
    # Drawn here rather than by the worker: the demo is complete once seed_demo returns.
    entry_derivatives_generate(entry_id=entry.pk)
    if entry.status == Entry.Status.APPROVED:
        entry_poster_generate(entry_id=entry.pk)
    # Now, not after a commit that may be a test's rollback: approved files made public.
    entry_files_sync(entry_id=entry.pk)
    entry.refresh_from_db(fields=["photo", "thumbnail", "preview", "poster"])


def _store(storage: Storage, name: str, content: bytes) -> str:
    if storage.exists(name):
        # A file of an earlier seed on another database: same bytes, keep the name.
        return name
    return storage.save(name, ContentFile(content))


def _draw_photo(*, seed: str, label: str) -> bytes:
    """A 600x800 JPEG (gradient sky, sun, running track, a runner).

    Drawn from its own generator seeded by the share code, so the bytes are the same
    whenever the file has to be drawn, whatever else the seed has drawn before.
    """
    rng = random.Random(seed)
    top, bottom, accent = rng.sample(PHOTO_COLOURS, 3)
    width, height = PHOTO_SIZE
    gradient = Image.linear_gradient("L").resize(PHOTO_SIZE)
    image = ImageOps.colorize(gradient, black=top, white=bottom)
    draw = ImageDraw.Draw(image)
    sun_x, sun_y, radius = rng.randint(110, 490), rng.randint(130, 300), rng.randint(50, 100)
    draw.ellipse((sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius), fill=accent)
    draw.ellipse((-120, 520, width + 120, height + 200), outline="white", width=14)
    draw.ellipse((-50, 590, width + 50, height + 130), outline="white", width=6)
    # A stick-figure runner mid-stride.
    hip_x, hip_y = rng.randint(200, 400), 560
    stride = rng.randint(35, 60)
    ink = (30, 30, 30)
    draw.ellipse((hip_x - 22, hip_y - 190, hip_x + 22, hip_y - 146), fill=ink)
    draw.line((hip_x, hip_y - 146, hip_x + 10, hip_y), fill=ink, width=12)
    draw.line((hip_x + 10, hip_y, hip_x + 10 + stride, hip_y + 120), fill=ink, width=12)
    draw.line((hip_x + 10, hip_y, hip_x - stride, hip_y + 110), fill=ink, width=12)
    draw.line((hip_x + 4, hip_y - 110, hip_x + 60, hip_y - 60), fill=ink, width=10)
    draw.line((hip_x + 4, hip_y - 110, hip_x - 50, hip_y - 70), fill=ink, width=10)
    draw.text((32, 28), label, fill="white", font=_font(48))

    photo = io.BytesIO()
    image.save(photo, "JPEG", quality=85)
    return photo.getvalue()


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except ImportError:  # Pillow built without FreeType: the small bitmap font
        return ImageFont.load_default()


# --- History: voters, votes, visits, activity, work logs ---------------------------------


@dataclass
class _Person:
    """A voter as planned, before it is a row: who, when first seen, how engaged."""

    phone: str
    school: School | None
    first_seen_at: datetime
    channel: str = Voter.Channel.DIRECT
    campaign: Campaign | None = None
    entry: Entry | None = None
    ambassador: Ambassador | None = None
    engagement: float = 0.5
    device_id: str = ""
    user_agent: str = ""
    ip: str = ""
    kind: str = "new"  # new, existing, contestant, sockpuppet
    voter: Voter | None = None
    voted_days: set[date] = field(default_factory=set)


@dataclass(frozen=True)
class _PlannedVote:
    at: datetime
    person: _Person
    entry: Entry
    ip: str


def _seed_history(
    *,
    now: datetime,
    rngs: dict[str, random.Random],
    campaigns: tuple[Campaign, Campaign, Campaign],
    entries: dict[str, list[Entry]],
    ambassadors: dict[str, list[Ambassador]],
    say: Callable[[str], None],
) -> int:
    """Write the demo's history once; returns how many planned votes were refused."""
    contest, daily, tongji = campaigns
    phones = iter(
        f"+86138{number:08d}"
        for number in rngs["phones"].sample(range(10**8), 2 * (FUDAN_NEW_VOTERS + TONGJI_VOTERS))
    )
    fudan_people, fudan_votes = _plan_fudan(
        rngs["fudan"],
        phones=phones,
        now=now,
        contest=contest,
        daily=daily,
        entries=entries,
        ambassadors=ambassadors["fudan"],
    )
    tongji_people, tongji_votes = _plan_tongji(
        rngs["tongji"],
        phones=phones,
        tongji=tongji,
        entries=entries[TONGJI_SLUG],
        ambassadors=ambassadors["tongji"],
    )
    people = fudan_people + tongji_people
    _create_voters(people)
    _link_contestants(fudan_people)
    say(f"{len(people)} voters.")

    refused = _cast(fudan_votes)
    # Replaying history: the Tongji contest was open while these votes were cast, so it
    # is open for the replay and closed again right after, inside this transaction.
    Campaign.objects.filter(pk=tongji.pk).update(status=Campaign.Status.OPEN)
    tongji.refresh_from_db()
    for entry in entries[TONGJI_SLUG]:
        entry.campaign = tongji
    refused += _cast(tongji_votes)
    Campaign.objects.filter(pk=tongji.pk).update(status=Campaign.Status.CLOSED)
    tongji.refresh_from_db()
    say(f"{len(fudan_votes) + len(tongji_votes) - refused} votes cast, {refused} refused.")

    visits = _plan_visits(
        rngs["visits"],
        now=now,
        people=people,
        campaigns=campaigns,
        entries=entries,
    )
    Visit.objects.bulk_create(visits, batch_size=500, ignore_conflicts=True)  # first views
    activity = _plan_activity(rngs["activity"], now=now, people=people)
    Activity.objects.bulk_create(activity, batch_size=500)
    work_logs = _plan_work_logs(
        rngs["work_logs"], now=now, ambassadors=ambassadors, contest=contest, tongji=tongji
    )
    WorkLog.objects.bulk_create(work_logs, batch_size=500)
    say(f"{len(visits)} visits, {len(activity)} app activity rows, {len(work_logs)} work logs.")
    return refused


def _weighted_sample(
    rng: random.Random, items: Sequence[Entry], weights: Sequence[float], k: int
) -> list[Entry]:
    pool, pool_weights, chosen = list(items), list(weights), []
    for _ in range(min(k, len(pool))):
        index = rng.choices(range(len(pool)), weights=pool_weights)[0]
        chosen.append(pool.pop(index))
        pool_weights.pop(index)
    return chosen


def _days(first: date, last: date) -> Iterable[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def _vote_window(
    day: date, *, person: _Person, opens: datetime, closes: datetime
) -> tuple[datetime, datetime] | None:
    """When on ``day`` this person could vote: awake hours, after signing up, inside the
    voting window and in the past. None when nothing of the day is left."""
    start = max(
        _local_midnight(day) + timedelta(hours=7),
        person.first_seen_at + timedelta(minutes=2),
        opens,
    )
    end = min(_local_midnight(day) + timedelta(hours=23, minutes=50), closes)
    return (start, end) if start < end else None


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * rng.random()


def _fingerprint(rng: random.Random) -> tuple[str, str]:
    """A device id and a user agent. IPs are in 100.64.0.0/10, the carrier-grade NAT
    range phones on mobile data really show, and no real host's address."""
    return f"dev-{rng.getrandbits(64):016x}", rng.choice(USER_AGENTS)


def _mobile_ip(rng: random.Random) -> str:
    return f"100.{rng.randint(64, 127)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _plan_fudan(
    rng: random.Random,
    *,
    phones: Iterable[str],
    now: datetime,
    contest: Campaign,
    daily: Campaign,
    entries: dict[str, list[Entry]],
    ambassadors: list[Ambassador],
) -> tuple[list[_Person], list[_PlannedVote]]:
    phones = iter(phones)
    fudan = contest.pilot.school
    today = timezone.localdate(now)
    votable = [e for e in entries[CONTEST_SLUG] if e.status == Entry.Status.APPROVED]
    # Popularity falls off like a power law: a few contestants canvass hard.
    popularity = [1 / (rank + 1) ** 0.9 for rank in range(len(votable))]
    rng.shuffle(popularity)
    team_weights = [3, 2, 2, 1.5, 1][: len(ambassadors)]
    opens = contest.submission_starts_at
    people: list[_Person] = []

    def make_person(kind: str, first_seen_at: datetime) -> _Person:
        device_id, user_agent = _fingerprint(rng)
        in_fudan = kind != "existing" or rng.random() < 0.8
        return _Person(
            phone=next(phones),
            school=fudan if in_fudan and rng.random() < 0.92 else None,
            first_seen_at=first_seen_at,
            engagement=rng.random(),
            device_id=device_id,
            user_agent=user_agent,
            ip=_mobile_ip(rng),
            kind=kind,
        )

    # Contestants who submitted their own entry signed in to do it.
    for entry in entries[CONTEST_SLUG]:
        if entry.submitted_by_id is None:
            signed_up = entry.created_at - timedelta(minutes=rng.randint(3, 90))
            contestant = make_person("contestant", signed_up)
            contestant.entry = entry
            contestant.campaign = contest
            people.append(contestant)

    # New users: sign-ups spread over the campaign so far, most during voting.
    span = (now - opens).total_seconds()
    for _ in range(FUDAN_NEW_VOTERS):
        seen = opens + timedelta(seconds=span * rng.betavariate(1.8, 1.2))
        seen = min(seen, now - timedelta(minutes=20))
        if timezone.localtime(seen).hour < 7:  # students sleep; sign-ups do too
            seen += timedelta(hours=7)
            seen = min(seen, now - timedelta(minutes=20))
        new_user = make_person("new", seen)
        draw = rng.random()
        if draw < 0.45:
            new_user.channel = Voter.Channel.SHARE
            new_user.entry = rng.choices(votable, weights=popularity)[0]
            new_user.campaign = contest
        elif draw < 0.70:
            new_user.channel = Voter.Channel.AMBASSADOR
            new_user.ambassador = rng.choices(ambassadors, weights=team_weights)[0]
            new_user.campaign = contest
        # else direct: vote_cast attributes the campaign of their first vote.
        people.append(new_user)

    # App users from before the campaign: participants, not new users.
    for _ in range(FUDAN_EXISTING_USERS):
        seen = now - timedelta(days=rng.randint(90, 200), minutes=rng.randint(0, 1440))
        people.append(make_person("existing", seen))

    votes: list[_PlannedVote] = []
    daily_rounds = {
        timezone.localdate(r.voting_starts_at): r
        for r in daily.rounds.exclude(voting_starts_at=None)
    }
    daily_entries: dict[int, list[Entry]] = {}
    for entry in entries[DAILY_SLUG]:
        if entry.status == Entry.Status.APPROVED:
            daily_entries.setdefault(entry.round_id, []).append(entry)
    closes = min(contest.voting_ends_at, now - timedelta(minutes=1))
    for voter in people:
        first_day = max(
            timezone.localdate(voter.first_seen_at), timezone.localdate(contest.voting_starts_at)
        )
        favourite = voter.entry if voter.entry in votable else None
        for offset, day in enumerate(_days(first_day, today)):
            keen = 0.95 if offset == 0 else (0.3 + 0.6 * voter.engagement) * 0.9**offset
            if voter.kind == "existing":
                keen *= 0.6
            if rng.random() >= keen:
                continue
            window = _vote_window(day, person=voter, opens=contest.voting_starts_at, closes=closes)
            if window is not None:
                votes += _plan_day(
                    rng, voter, window, votable, popularity, favourite, contest.votes_per_day
                )
            round_ = daily_rounds.get(day)
            if round_ is None or round_.pk not in daily_entries or rng.random() >= 0.4:
                continue
            window = _vote_window(
                day,
                person=voter,
                opens=max(daily.voting_starts_at, round_.voting_starts_at),
                closes=min(round_.voting_ends_at, now - timedelta(minutes=1)),
            )
            if window is not None:
                pool = daily_entries[round_.pk]
                votes += _plan_day(
                    rng, voter, window, pool, [1.0] * len(pool), None, daily.votes_per_day
                )

    people += _plan_sockpuppets(
        rng, phones=phones, now=now, target=votable[len(votable) // 2], votes=votes
    )
    return people, votes


def _plan_day(
    rng: random.Random,
    voter: _Person,
    window: tuple[datetime, datetime],
    pool: Sequence[Entry],
    weights: Sequence[float],
    favourite: Entry | None,
    limit: int,
) -> list[_PlannedVote]:
    """One person's votes on one day: their favourite first, then whoever they like.

    One day in twenty they vote once more for someone, often past a limit (the same entry
    again, or a vote beyond the daily ones); the policy refuses that, as in the app.
    """
    # Most people use most of their votes: 3 of 3 is likelier than 1 of 3.
    wanted = rng.choices(range(1, limit + 1), weights=range(1, limit + 1))[0]
    picks = [favourite] if favourite is not None else []
    others = [(e, w) for e, w in zip(pool, weights, strict=True) if e is not favourite]
    picks += _weighted_sample(
        rng, [e for e, _ in others], [w for _, w in others], wanted - len(picks)
    )
    if rng.random() < 0.05:
        picks.append(rng.choice(pool))
    start, end = window
    moments = sorted(_moment(rng, start, end) for _ in picks)
    ip = voter.ip if rng.random() < 0.5 else _mobile_ip(rng)
    voter.voted_days.add(timezone.localdate(start))
    return [
        _PlannedVote(at=at, person=voter, entry=entry, ip=ip)
        for at, entry in zip(moments, picks, strict=True)
    ]


def _plan_sockpuppets(
    rng: random.Random,
    *,
    phones: Iterable[str],
    now: datetime,
    target: Entry,
    votes: list[_PlannedVote],
) -> list[_Person]:
    """A vote farm for staff to find: one device and IP, accounts created at night
    seconds apart, each voting for the same entry within a minute, never seen in the app
    again. Their votes are valid until staff invalidate them."""
    phones = iter(phones)
    night = _local_midnight(timezone.localdate(now) - timedelta(days=2)) + timedelta(
        hours=2, minutes=13
    )
    farm_ip, farm_device = "100.97.13.7", f"dev-{rng.getrandbits(64):016x}"
    puppets = []
    for i in range(SOCKPUPPETS):
        puppet = _Person(
            phone=next(phones),
            school=None,
            first_seen_at=night + timedelta(seconds=7 * i),
            engagement=0.0,
            device_id=farm_device,
            user_agent=USER_AGENTS[1],
            ip=farm_ip,
            kind="sockpuppet",
        )
        at = puppet.first_seen_at + timedelta(seconds=rng.randint(15, 40))
        votes.append(_PlannedVote(at=at, person=puppet, entry=target, ip=farm_ip))
        puppets.append(puppet)
    return puppets


def _plan_tongji(
    rng: random.Random,
    *,
    phones: Iterable[str],
    tongji: Campaign,
    entries: list[Entry],
    ambassadors: list[Ambassador],
) -> tuple[list[_Person], list[_PlannedVote]]:
    """The finished Tongji contest: its own students only, up to 2 votes per entry."""
    phones = iter(phones)
    school = tongji.pilot.school
    votable = [e for e in entries if e.status == Entry.Status.APPROVED]
    popularity = [1 / (rank + 1) ** 0.7 for rank in range(len(votable))]
    rng.shuffle(popularity)
    opens, closes = tongji.submission_starts_at, tongji.voting_ends_at - timedelta(hours=2)
    people, votes = [], []
    for _ in range(TONGJI_VOTERS):
        seen = _moment(rng, opens, closes)
        device_id, user_agent = _fingerprint(rng)
        voter = _Person(
            phone=next(phones),
            school=school,
            first_seen_at=seen,
            engagement=rng.random(),
            device_id=device_id,
            user_agent=user_agent,
            ip=_mobile_ip(rng),
        )
        draw = rng.random()
        if draw < 0.4:
            voter.channel, voter.entry = Voter.Channel.SHARE, rng.choice(votable)
            voter.campaign = tongji
        elif draw < 0.75:
            voter.channel, voter.ambassador = Voter.Channel.AMBASSADOR, rng.choice(ambassadors)
            voter.campaign = tongji
        people.append(voter)
        first_day = timezone.localdate(max(seen, tongji.voting_starts_at))
        for offset, day in enumerate(_days(first_day, timezone.localdate(closes))):
            keen = 0.95 if offset == 0 else (0.2 + 0.6 * voter.engagement) * 0.8**offset
            if rng.random() >= keen:
                continue
            window = _vote_window(
                day, person=voter, opens=tongji.voting_starts_at, closes=tongji.voting_ends_at
            )
            if window is None:
                continue
            day_votes = _plan_day(
                rng, voter, window, votable, popularity, voter.entry, tongji.votes_per_day - 1
            )
            # Fans vote twice for their favourite, as the policy allows.
            if voter.entry is not None and rng.random() < 0.5:
                day_votes.append(
                    _PlannedVote(
                        at=_moment(rng, *window),
                        person=voter,
                        entry=voter.entry,
                        ip=voter.ip,
                    )
                )
            votes += day_votes
    return people, votes


def _create_voters(people: list[_Person]) -> None:
    """Voters by phone: existing ones are reused (a phone is one person), the rest
    created verified, with first-seen times from the plan."""
    existing = Voter.objects.in_bulk([p.phone for p in people], field_name="phone")
    new_rows = []
    for index, person in enumerate(people):
        if person.phone in existing:
            person.voter = existing[person.phone]
            continue
        person.voter = Voter(
            phone=person.phone,
            school=person.school,
            verified_at=person.first_seen_at + timedelta(seconds=8),
            app_user_id=f"demo-{index + 1:05d}",
            attributed_campaign=person.campaign,
            channel=person.channel,
            attributed_entry=person.entry if person.channel == Voter.Channel.SHARE else None,
            attributed_ambassador=person.ambassador,
        )
        new_rows.append(person.voter)
    Voter.objects.bulk_create(new_rows, batch_size=500)
    # bulk_create stamps first_seen_at (auto_now_add) with the real time; the plan's
    # times are the point of the demo (cohorts, "voted seconds after signing up").
    for person in people:
        if person.phone not in existing:
            person.voter.first_seen_at = person.first_seen_at
    Voter.objects.bulk_update(new_rows, ["first_seen_at"], batch_size=500)


def _link_contestants(people: list[_Person]) -> None:
    for person in people:
        if person.kind == "contestant" and person.entry is not None:
            Entry.objects.filter(pk=person.entry.pk, voter=None).update(voter=person.voter)


def _cast(planned: list[_PlannedVote]) -> int:
    """Cast the planned votes in time order through the vote service; returns how many
    it refused. In time order so "the campaign of the first vote" is the first one."""
    refused = 0
    for vote in sorted(planned, key=lambda v: (v.at, v.person.phone)):
        try:
            vote_cast(
                voter=vote.person.voter,
                entry=vote.entry,
                at=vote.at,
                ip=vote.ip,
                user_agent=vote.person.user_agent,
                device_id=vote.person.device_id,
            )
        except DomainError:
            refused += 1
    return refused


def _plan_visits(
    rng: random.Random,
    *,
    now: datetime,
    people: list[_Person],
    campaigns: tuple[Campaign, Campaign, Campaign],
    entries: dict[str, list[Entry]],
) -> list[Visit]:
    """Visits and share clicks: every voter's arrival, their returns on the days they
    voted, and the bystanders who looked and never signed in (about 3x the voters in
    unique visitors). A visitor's id is their device id, as the API counts it."""
    contest, daily, tongji = campaigns
    visible = {
        slug: [e for e in group if e.status == Entry.Status.APPROVED]
        for slug, group in entries.items()
    }
    visits: list[Visit] = []
    for person in people:
        campaign = person.campaign or (tongji if person.school == tongji.pilot.school else contest)
        arrival = person.first_seen_at - timedelta(minutes=rng.randint(1, 20))
        if person.kind == "existing":
            arrival = contest.voting_starts_at + timedelta(minutes=rng.randint(60, 3000))
        if person.channel == Voter.Channel.SHARE and person.entry is not None:
            visits.append(
                Visit(
                    visitor_id=person.device_id,
                    kind=Visit.Kind.SHARE_CLICK,
                    campaign=person.entry.campaign,
                    entry=person.entry,
                    at=arrival,
                )
            )
        else:
            visits.append(Visit(visitor_id=person.device_id, campaign=campaign, at=arrival))
        pool = visible[TONGJI_SLUG if campaign == tongji else CONTEST_SLUG]
        for day in sorted(person.voted_days):
            if rng.random() < 0.5:
                at = _local_midnight(day) + timedelta(hours=rng.randint(8, 22))
                if arrival < at < now:
                    visits.append(
                        Visit(
                            visitor_id=person.device_id,
                            campaign=campaign,
                            entry=rng.choice(pool),
                            at=at,
                        )
                    )
    for campaign, slug, bystanders, until in (
        (contest, CONTEST_SLUG, FUDAN_BYSTANDERS, now),
        (daily, DAILY_SLUG, DAILY_BYSTANDERS, now),
        (tongji, TONGJI_SLUG, TONGJI_BYSTANDERS, tongji.voting_ends_at),
    ):
        for _ in range(bystanders):
            visitor_id = f"vid-{rng.getrandbits(64):016x}"
            for _visit in range(rng.choice((1, 1, 1, 2, 3))):
                at = _moment(rng, campaign.submission_starts_at, min(until, now))
                if rng.random() < 0.35 and visible[slug]:
                    entry, kind = rng.choice(visible[slug]), Visit.Kind.SHARE_CLICK
                else:
                    entry = rng.choice(visible[slug]) if rng.random() < 0.5 else None
                    kind = Visit.Kind.VISIT
                visits.append(
                    Visit(visitor_id=visitor_id, kind=kind, campaign=campaign, entry=entry, at=at)
                )
    return visits


def _retention(day_number: int) -> float:
    """Chance a new user is active ``day_number`` days after their first day: about 60%
    on day 1, 35% on day 7 and 20% on day 30."""
    return 0.2 + 0.45 * math.exp(-(day_number - 1) / 6)


def _plan_activity(rng: random.Random, *, now: datetime, people: list[_Person]) -> list[Activity]:
    """App activity per phone and local day, up to today. Vote farms never open the app
    (a fraud signal); old users keep their habits."""
    today = timezone.localdate(now)
    rows: list[Activity] = []
    for person in people:
        if person.kind == "sockpuppet":
            continue
        first_day = timezone.localdate(person.first_seen_at)
        active_days: list[date] = []
        if person.kind == "existing":
            habit = 0.25 + 0.4 * rng.random()
            active_days = [
                day
                for day in _days(max(first_day, today - timedelta(days=40)), today)
                if rng.random() < habit
            ]
        else:
            # Some users stay more than others; on average the curve is _retention's.
            stickiness = 0.5 + rng.random()
            active_days = [first_day] + [
                day
                for n, day in enumerate(_days(first_day + timedelta(days=1), today), start=1)
                if rng.random() < min(1.0, _retention(n) * stickiness)
            ]
        for day in active_days:
            rows.append(Activity(phone=person.phone, day=day, kind="login"))
            if rng.random() < 0.6:
                rows.append(Activity(phone=person.phone, day=day, kind="workout"))
    return rows


def _plan_work_logs(
    rng: random.Random,
    *,
    now: datetime,
    ambassadors: dict[str, list[Ambassador]],
    contest: Campaign,
    tongji: Campaign,
) -> list[WorkLog]:
    """Hours over the campaigns' days. Older logs are mostly approved; the last three
    days wait for the manager, as they would."""
    today = timezone.localdate(now)
    rows: list[WorkLog] = []
    periods = (
        (ambassadors["fudan"], timezone.localdate(contest.submission_starts_at), today),
        (
            ambassadors["tongji"],
            timezone.localdate(tongji.submission_starts_at),
            timezone.localdate(tongji.voting_ends_at),
        ),
    )
    for team, first, last in periods:
        for ambassador in team:
            for day in _days(first, last):
                if rng.random() >= 0.6:
                    continue
                for task in rng.sample(WORK_TASKS, rng.choice((1, 1, 2))):
                    recent = (today - day).days < 3
                    rows.append(
                        WorkLog(
                            ambassador=ambassador,
                            date=day,
                            hours=Decimal(rng.choice(("1.5", "2", "2.5", "3", "3.5", "4"))),
                            task=task,
                            approved=not recent and rng.random() < 0.92,
                        )
                    )
    return rows
