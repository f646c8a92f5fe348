"""Fraud confirmed after a campaign closed, through the admin: the cheater loses the prize.

Before, confirming a flag on a closed campaign invalidated the votes but left the frozen
standing, the winners and the prize cost as they were. Now it writes a revised final
standing beside the first, re-awards the prizes (new winners get an SMS), and beat
recomputes the report with the prize cost of what was handed out.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from celery import current_app
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from campaigns.models import AuditLog
from core import sms
from reports.models import Report
from reports.services import report_generate, report_request
from reports.tasks import reports_refresh_due
from tests.factories import (
    CampaignFactory,
    EntryFactory,
    PrizeFactory,
    VoteFactory,
    VoterFactory,
)
from voting.models import FraudFlag, LeaderboardSnapshot, PrizeAward, Vote
from voting.services.leaderboards import campaign_close

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def memory_sms(settings, monkeypatch):
    # Tasks sent after commit run inline here (the SMS task among them); the worker
    # tests cover the broker.
    monkeypatch.setitem(current_app.conf, "task_always_eager", True)
    settings.SMS_BACKEND = "memory"
    settings.PRIZE_AWARD_SMS_TEMPLATE = "{entry}: #{rank} {prize} ({campaign})"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def closed(django_capture_on_commit_callbacks):
    """Voting ended yesterday. E1 leads with 6 votes from a farm; E2..E6 have 5..1.
    Gold (¥500) for rank 1, silver (¥100) for ranks 2-3. Every contestant has a phone."""
    campaign = CampaignFactory(title="夜跑之星", voting_ends_at=timezone.now() - timedelta(days=1))
    start = timezone.now() - timedelta(days=2)
    entries = []
    for i, n_votes in enumerate([6, 5, 4, 3, 2, 1]):
        entry = EntryFactory(
            campaign=campaign, name=f"E{i + 1}", voter=VoterFactory(phone=f"+8613600000{i:03d}")
        )
        for k in range(n_votes):
            VoteFactory(entry=entry, cast_at=start + timedelta(minutes=k))
        entries.append(entry)
    PrizeFactory(campaign=campaign, name="金奖", rank_from=1, rank_to=1, unit_cost=Decimal("500"))
    PrizeFactory(campaign=campaign, name="银奖", rank_from=2, rank_to=3, unit_cost=Decimal("100"))
    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_close(campaign_id=campaign.pk)
    return campaign, entries


def award_of(entry, prize_name: str) -> PrizeAward:
    return PrizeAward.objects.get(entry=entry, prize__name=prize_name)


def post_action(client, model: str, action: str, ids: list[int], **data):
    return client.post(
        reverse(f"admin:voting_{model}_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: ids, **data},
    )


def test_fraud_after_close_revises_winners_awards_and_report(
    ops_client, ops_user, closed, django_capture_on_commit_callbacks
):
    campaign, entries = closed
    e1, e2, e3, e4, e5, _e6 = entries
    # The close awarded E1 gold, E2 and E3 silver and told them by SMS.
    assert {(m.to, m.text) for m in sms.outbox} == {
        ("+8613600000000", "E1: #1 金奖 (夜跑之星)"),
        ("+8613600000001", "E2: #2 银奖 (夜跑之星)"),
        ("+8613600000002", "E3: #3 银奖 (夜跑之星)"),
    }
    first_report = report_generate(report_id=report_request(campaign=campaign).pk)
    # Awarded, none handed out yet: 500 + 100 + 100, saying so.
    assert first_report.data["cost"]["prizes"] == "700.00"
    assert first_report.data["cost"]["prizes_basis"] == "awarded"

    # Staff hand out E1's gold and E3's silver before the fraud is found.
    gold_e1, silver_e3 = award_of(e1, "金奖"), award_of(e3, "银奖")
    response = post_action(ops_client, "prizeaward", "mark_handed_out", [gold_e1.pk, silver_e3.pk])
    assert response.status_code == 302
    gold_e1.refresh_from_db()
    assert (gold_e1.state, gold_e1.handed_out_by) == ("handed_out", ops_user)
    assert gold_e1.handed_out_at is not None

    # A flag on E1's farm votes, confirmed after the close through the admin.
    flag = FraudFlag.objects.create(
        campaign=campaign, kind=FraudFlag.Kind.DEVICE_CLUSTER, key="device:farm", entry=e1
    )
    flag.votes.set(Vote.objects.filter(entry=e1))
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(
            ops_client,
            "fraudflag",
            "confirm_flags",
            [flag.pk],
            apply="1",
            reason="一台设备刷票",
        )
    assert response.status_code == 302

    # The first final standing is kept; a revised one stands beside it, with who and why.
    first, revised = LeaderboardSnapshot.objects.filter(campaign=campaign, is_final=True).order_by(
        "revision"
    )
    assert first.standings[0]["entry_id"] == e1.pk and first.revision == 0
    assert (revised.revision, revised.revised_by) == (1, ops_user)
    assert "一台设备刷票" in revised.revision_reason
    assert [row["votes"] for row in revised.standings] == [5, 4, 3, 2, 1, 0]
    audit = AuditLog.objects.get(action="leaderboard.final_revise")
    assert audit.actor == ops_user and audit.data["snapshots"] == [revised.pk]

    # New winners on the standing's page: E2 gold, E3 and E4 silver; E5, E6 wait.
    page = ops_client.get(reverse("admin:voting_leaderboardsnapshot_change", args=[revised.pk]))
    winners = page.content.decode().split('id="winners"')[1].split("</table>")[0]
    assert [name for name in ("E1", "E2", "E3", "E4", "E5", "E6") if name in winners] == [
        "E2",
        "E3",
        "E4",
        "E5",
        "E6",
    ]
    # Awards: E1's gold was handed out (gone, its cost real) and stays so; E2's silver is
    # revoked for gold; E4 steps in with silver; the new winners are told by SMS.
    states = {
        (a.entry.name, a.prize.name): a.state
        for a in PrizeAward.objects.select_related("entry", "prize")
    }
    assert states == {
        ("E1", "金奖"): "handed_out",
        ("E2", "银奖"): "revoked",
        ("E2", "金奖"): "awarded",
        ("E3", "银奖"): "handed_out",
        ("E4", "银奖"): "awarded",
    }
    assert {m.text for m in sms.outbox} == {"E2: #1 金奖 (夜跑之星)", "E4: #3 银奖 (夜跑之星)"}

    # Staff hand out the new prizes; beat recomputes the report, which now counts the
    # four prizes handed out: 500 (E1, given before the finding) + 500 + 100 + 100.
    post_action(
        ops_client,
        "prizeaward",
        "mark_handed_out",
        [award_of(e2, "金奖").pk, award_of(e4, "银奖").pk],
    )
    with django_capture_on_commit_callbacks(execute=False):
        assert reports_refresh_due.apply().get() == 1
    latest = Report.objects.filter(campaign=campaign).order_by("-pk").first()
    assert latest.previous_id == first_report.pk
    latest = report_generate(report_id=latest.pk)
    cost = latest.data["cost"]
    assert cost["prizes"] == "1200.00"
    assert (cost["prizes_basis"], cost["prizes_handed_out"]) == ("handed_out", 4)
    assert latest.data["previous_verdict"]["prizes"] == "700.00"
    # Asked once: the new report is the latest, nothing is due any more.
    assert reports_refresh_due.apply().get() == 0


def test_forfeit_passes_the_prize_to_the_next_alternate(
    ops_client, ops_user, closed, django_capture_on_commit_callbacks
):
    campaign, entries = closed
    silver_e3 = award_of(entries[2], "银奖")
    response = post_action(ops_client, "prizeaward", "forfeit", [silver_e3.pk])
    assert response.status_code == 200  # asks for the reason first
    assert PrizeAward.objects.get(pk=silver_e3.pk).state == "awarded"
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(
            ops_client, "prizeaward", "forfeit", [silver_e3.pk], apply="1", reason="联系不上"
        )
    assert response.status_code == 302
    silver_e3.refresh_from_db()
    assert silver_e3.state == "forfeited"
    assert (silver_e3.closed_by, silver_e3.note) == (ops_user, "联系不上")
    stepped_in = PrizeAward.objects.get(replaces=silver_e3)
    assert (stepped_in.entry.name, stepped_in.prize.name, stepped_in.rank) == ("E4", "银奖", 4)
    # Gold and E2's silver are untouched; E4 is told.
    assert award_of(entries[0], "金奖").state == "awarded"
    assert award_of(entries[1], "银奖").state == "awarded"
    assert [m.to for m in sms.outbox] == ["+8613600000003"]


def test_a_handed_out_prize_cannot_be_forfeited_or_handed_out_twice(ops_client, closed):
    _campaign, entries = closed
    gold = award_of(entries[0], "金奖")
    post_action(ops_client, "prizeaward", "mark_handed_out", [gold.pk])
    response = post_action(ops_client, "prizeaward", "mark_handed_out", [gold.pk], follow=True)
    response = ops_client.post(
        reverse("admin:voting_prizeaward_changelist"),
        {"action": "forfeit", ACTION_CHECKBOX_NAME: [gold.pk], "apply": "1", "reason": "x"},
        follow=True,
    )
    assert response.status_code == 200
    gold.refresh_from_db()
    assert gold.state == "handed_out"
    assert PrizeAward.objects.filter(replaces=gold).count() == 0


def test_interns_never_see_prize_awards(ambassador_client, closed):
    response = ambassador_client.get(reverse("admin:voting_prizeaward_changelist"))
    assert response.status_code == 403
