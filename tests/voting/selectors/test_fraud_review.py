"""Each detector kind's flag reads as a sentence with the entry's name, counts and local
times, in zh-hans and in English, and its evidence as a table without raw keys
(voting/selectors/fraud_review.py)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from tests.factories import CampaignFactory, EntryFactory, VoterFactory
from voting.models import FraudFlag
from voting.selectors.fraud_review import flag_names, flag_present, local_time, voted_entry

pytestmark = pytest.mark.django_db
Kind = FraudFlag.Kind
SHANGHAI = ZoneInfo("Asia/Shanghai")
# 21:30 in Shanghai, stored as the scan stores it (ISO with the local offset).
START = datetime(2026, 12, 1, 21, 30, tzinfo=SHANGHAI)
RAW_KEYS = (
    "votes_per_entry",
    "sample_voter_ids",
    "sample_vote_ids",
    "max_voters_in_window",
    "first_vote_at",
    "window_minutes",
    "ordinary_votes_per_window",
    "T21:",
    "+08:00",
)


def iso(delta_minutes: float = 0) -> str:
    return (START + timedelta(minutes=delta_minutes)).isoformat(timespec="seconds")


@pytest.fixture
def farm():
    campaign = CampaignFactory()
    target = EntryFactory(campaign=campaign, name="孟馨")
    other = EntryFactory(campaign=campaign, name="李雷")
    voters = [VoterFactory(phone=f"+861390000{i:04d}") for i in range(12)]
    return campaign, target, other, voters


def common(target, voters, *, other=None, n_other=0):
    per_entry = {str(target.pk): 12}
    if other:
        per_entry[str(other.pk)] = n_other
    return {
        "voters": len(voters),
        "votes": 12 + n_other,
        "first_vote_at": iso(0),
        "last_vote_at": iso(2),
        "votes_per_entry": per_entry,
        "sample_voter_ids": [v.pk for v in voters[:3]],
        "sample_vote_ids": [1, 2, 3],
    }


def make(campaign, kind, key, evidence, entry=None):
    return FraudFlag.objects.create(
        campaign=campaign, kind=kind, key=key, evidence=evidence, entry=entry
    )


def flags(farm):
    campaign, target, other, voters = farm
    base = common(target, voters)
    return {
        Kind.DEVICE_CLUSTER: make(
            campaign,
            Kind.DEVICE_CLUSTER,
            "device:farm",
            {
                **base,
                "device_id": "farm-phone",
                "max_voters_in_window": 12,
                "window_minutes": 10,
                "min_voters": 4,
            },
        ),
        Kind.USER_AGENT_CLUSTER: make(
            campaign,
            Kind.USER_AGENT_CLUSTER,
            "ua:69e07f1e874c3b2a:100.97.13.7",
            {
                **base,
                "user_agent": "python-requests/2.32",
                "ip": "100.97.13.7",
                "max_voters_in_window": 12,
                "ordinary_votes_per_window": 1,
                "threshold": 6,
                "accounts_created_from": iso(-5),
                "accounts_created_to": iso(-1),
                "window_minutes": 10,
                "created_within_minutes": 30,
                "min_voters": 6,
                "factor": 3,
            },
        ),
        Kind.FAST_NEW_ACCOUNT: make(
            campaign,
            Kind.FAST_NEW_ACCOUNT,
            f"fast:{target.pk}",
            {
                **base,
                "entry_id": target.pk,
                "max_voters_in_window": 12,
                "seconds_from_sign_up_max": 8.5,
                "seconds_from_sign_up_median": 4.0,
                "fast_vote_seconds": 20,
                "window_minutes": 10,
                "min_voters": 5,
            },
            entry=target,
        ),
        Kind.ENTRY_BURST: make(
            campaign,
            Kind.ENTRY_BURST,
            f"burst:{target.pk}:20261201T2130",
            {
                **base,
                "entry_id": target.pk,
                "window_start": iso(0),
                "window_end": iso(12),
                "max_votes_in_window": 40,
                "ordinary_votes_per_window": 2,
                "threshold": 15,
                "voters_signed_up_within_hour": 30,
                "window_minutes": 15,
                "factor": 5,
                "min_votes": 15,
            },
            entry=target,
        ),
        Kind.NEVER_ACTIVE: make(
            campaign,
            Kind.NEVER_ACTIVE,
            f"inactive:{target.pk}",
            {
                **base,
                "entry_id": target.pk,
                "new_voters": 20,
                "never_active": 18,
                "share": 0.9,
                "campaign_share_elsewhere": 0.35,
                "judged_votes_through": "2026-11-28",
                "after_days": 3,
                "min_voters": 8,
                "min_share": 0.8,
                "margin": 0.3,
            },
            entry=target,
        ),
        Kind.SHARE_RING: make(
            campaign,
            Kind.SHARE_RING,
            f"ring:{target.pk}",
            {
                **base,
                "entry_id": target.pk,
                "ring_accounts": 12,
                "max_sign_ups_in_window": 12,
                "accounts_created_from": iso(0),
                "accounts_created_to": iso(3),
                "share_link_visitors_then": 2,
                "window_minutes": 10,
                "min_voters": 6,
            },
            entry=target,
        ),
    }


ZH_TITLES = {
    Kind.DEVICE_CLUSTER: "12 个账号在 2 分钟内用同一设备为 孟馨 投票",
    Kind.USER_AGENT_CLUSTER: "12 个新账号在 2 分钟内从同一 IP、用同一浏览器为 孟馨 投票",
    Kind.FAST_NEW_ACCOUNT: "12 个账号注册后最多 8.5 秒就为 孟馨 投票",
    Kind.ENTRY_BURST: "孟馨 在 15 分钟内获得 40 票（12月1日 21:30–21:42），平时约 2 票",
    Kind.NEVER_ACTIVE: (
        "为 孟馨 投票的 20 个新用户中，18 个此后从未使用 App（90%；活动中其他作品为 35%）"
    ),
    Kind.SHARE_RING: "12 个账号在 3 分钟内通过 孟馨 的分享链接注册，且只为它投票",
}
EN_TITLES = {
    Kind.DEVICE_CLUSTER: "12 accounts voted for 孟馨 from one device within 2 minutes",
    Kind.USER_AGENT_CLUSTER: (
        "12 new accounts voted for 孟馨 from one IP address with one browser within 2 minutes"
    ),
    Kind.FAST_NEW_ACCOUNT: "12 accounts voted for 孟馨 at most 8.5 s after signing up",
    Kind.ENTRY_BURST: (
        "孟馨 got 40 votes within 15 minutes (December 1 21:30–21:42); usually 2 votes"
    ),
    Kind.NEVER_ACTIVE: (
        "18 of the 20 new voters for 孟馨 never used the app afterwards "
        "(90%; elsewhere in the campaign 35%)"
    ),
    Kind.SHARE_RING: (
        "12 accounts signed up through the share link of 孟馨 within 3 minutes and "
        "voted for it alone"
    ),
}


@pytest.mark.parametrize(("language", "titles"), [("zh-hans", ZH_TITLES), ("en", EN_TITLES)])
def test_every_kind_reads_as_a_sentence(farm, language, titles):
    made = flags(farm)
    assert set(made) == set(Kind.values), "a detector kind without a presenter test"
    names = flag_names(made.values(), voters=True)
    with translation.override(language):
        for kind, flag in made.items():
            view = flag_present(flag, names)
            assert view.title == titles[kind], kind
            assert view.entry == "孟馨"
            table = " ".join(f"{label} {value}" for label, value in view.rows)
            for raw in RAW_KEYS:
                assert raw not in table, (kind, raw)
            assert flag.key not in view.title


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_evidence_table_names_entries_and_masks_voters(farm, language):
    campaign, target, other, voters = farm
    flag = make(
        campaign,
        Kind.DEVICE_CLUSTER,
        "device:x",
        {
            **common(target, voters, other=other, n_other=3),
            "device_id": "x",
            "max_voters_in_window": 12,
            "window_minutes": 10,
            "min_voters": 4,
        },
    )
    with translation.override(language):
        rows = dict(flag_present(flag, flag_names([flag], voters=True)).rows)
        votes_label = "各作品得票" if language == "zh-hans" else "Votes per entry"
        sample_label = "部分投票者" if language == "zh-hans" else "Some of the voters"
        when_label = "投票时间" if language == "zh-hans" else "Votes cast"
    per_entry = rows[votes_label]
    assert per_entry.index("孟馨") < per_entry.index("李雷")  # most votes first
    assert ("孟馨: 12 票" if language == "zh-hans" else "孟馨: 12 votes") in per_entry
    assert rows[sample_label] == "+86139****0000, +86139****0001, +86139****0002"
    assert rows[when_label].endswith("21:30–21:32")


def test_the_entry_the_votes_went_to_or_the_top_one_of_several(farm):
    campaign, target, other, voters = farm
    spread = make(
        campaign,
        Kind.DEVICE_CLUSTER,
        "device:y",
        {**common(target, voters, other=other, n_other=3), "device_id": "y"},
    )
    with translation.override("zh-hans"):
        assert voted_entry(spread, flag_names([spread])) == "孟馨 等 1 个其他作品"
    with translation.override("en"):
        assert voted_entry(spread, flag_names([spread])) == "孟馨 and 1 other entry"


@pytest.mark.parametrize(
    "evidence",
    [
        {},
        {"voters": "many", "first_vote_at": "yesterday", "votes_per_entry": {"x": "y"}},
        {"votes_per_entry": {"999999": 3}, "sample_voter_ids": ["<b>", 999999]},
        {"first_vote_at": "2026-12-01T13:30:00", "last_vote_at": None},
    ],
)
def test_odd_or_old_evidence_still_renders(farm, evidence):
    campaign = farm[0]
    flag = make(campaign, Kind.DEVICE_CLUSTER, f"device:{len(evidence)}", evidence)
    with translation.override("zh-hans"):
        view = flag_present(flag, flag_names([flag], voters=True))
    assert view.title and all(isinstance(v, str) for _label, v in view.rows)


def test_an_unknown_kind_falls_back_to_its_name(farm):
    campaign, target, _other, voters = farm
    flag = make(campaign, Kind.DEVICE_CLUSTER, "device:z", common(target, voters))
    flag.kind = "future_signal"
    view = flag_present(flag, flag_names([flag]))
    assert view.title == "future_signal" and view.entry == "孟馨"


def test_times_are_local_not_iso():
    with translation.override("zh-hans"):
        assert local_time("2026-12-01T13:30:00+00:00") == "12月1日 21:30"
        assert local_time("not a time") == "—"
