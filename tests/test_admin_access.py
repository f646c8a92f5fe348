"""Every admin page works for operations staff; an ambassador stays inside their school."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from ambassadors.models import Ambassador, WorkLog
from campaigns.models import AuditLog, Campaign, Expense, Pilot, Prize, Round, School
from reports.models import Report
from tests.factories import (
    ActivityFactory,
    AmbassadorFactory,
    CampaignFactory,
    EntryFactory,
    ExpenseFactory,
    PrizeFactory,
    VisitFactory,
    VoteFactory,
    VoterFactory,
    WorkLogFactory,
)
from voting.models import Entry, LeaderboardSnapshot, Vote, Voter
from voting.services.leaderboards import leaderboard_refresh_campaign


def build_school_world(school: School, tag: str) -> dict:
    """One of everything for a school, named with ``tag`` so lists can be searched."""
    campaign = CampaignFactory(
        pilot__school=school, title=f"campaign-{tag}", pilot__name=f"pilot-{tag}"
    )
    entry = EntryFactory(campaign=campaign, name=f"entry-{tag}")
    ambassador = AmbassadorFactory(school=school, name=f"ambassador-{tag}")
    voter = VoterFactory(school=school)
    VoteFactory(voter=voter, entry=entry)
    leaderboard_refresh_campaign(campaign_id=campaign.pk)
    return {
        "school": school,
        "pilot": campaign.pilot,
        "campaign": campaign,
        "round": campaign.rounds.get(),
        "prize": PrizeFactory(campaign=campaign, name=f"prize-{tag}"),
        "expense": ExpenseFactory(pilot=campaign.pilot, note=f"expense-{tag}"),
        "ambassador": ambassador,
        "worklog": WorkLogFactory(ambassador=ambassador, task=f"worklog-{tag}"),
        "entry": entry,
        "voter": voter,
        "vote": Vote.objects.get(entry=entry),
        "visit": VisitFactory(campaign=campaign, visitor_id=f"visitor-{tag}"),
        "activity": ActivityFactory(phone=voter.phone),
        "snapshot": LeaderboardSnapshot.objects.get(campaign=campaign),
        "report": Report.objects.create(campaign=campaign, data={"tag": tag}),
        "audit": AuditLog.objects.create(action=f"test-{tag}", school=school, object_repr=tag),
    }


@pytest.fixture
def world(db, school_a, school_b):
    return {"a": build_school_world(school_a, "aaa"), "b": build_school_world(school_b, "bbb")}


def admin_url(obj, view: str = "change") -> str:
    opts = obj._meta
    args = [obj.pk] if view in ("change", "delete", "history") else []
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def test_every_admin_page_opens_for_operations_staff(ops_client, world):
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        if opts.app_label in ("auth", "axes"):
            # Users, groups and login lockouts are the superuser's (tests/campaigns/test_roles.py).
            continue
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert ops_client.get(changelist).status_code == 200, changelist
        assert ops_client.get(changelist, {"q": "aaa"}).status_code == 200, changelist
        request = ops_client.get(changelist).wsgi_request
        if model_admin.has_add_permission(request):
            add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
            assert ops_client.get(add).status_code == 200, add
        obj = model._default_manager.first()
        if obj is not None:
            assert ops_client.get(admin_url(obj)).status_code == 200, admin_url(obj)


def test_staff_role_is_not_superuser(ops_user):
    # The "staff" role works through its group permissions, not superuser powers.
    assert not ops_user.is_superuser
    assert ops_user.has_perm("voting.change_vote")


SCOPED_KEYS = [
    "school",
    "pilot",
    "campaign",
    "round",
    "prize",
    "expense",
    "ambassador",
    "worklog",
    "entry",
    "snapshot",
    "report",
]
HIDDEN_KEYS = ["voter", "vote", "visit", "activity", "audit"]


@pytest.mark.parametrize("key", SCOPED_KEYS)
def test_ambassador_opens_own_school_objects(ambassador_client, world, key):
    obj = world["a"][key]
    assert ambassador_client.get(admin_url(obj)).status_code == 200


@pytest.mark.parametrize("key", SCOPED_KEYS + HIDDEN_KEYS)
def test_ambassador_is_refused_other_school_objects_by_url(ambassador_client, world, key):
    obj = world["b"][key]
    for view in ("change", "delete", "history"):
        status = ambassador_client.get(admin_url(obj, view)).status_code
        assert status in (403, 404), (key, view, status)
    # Writing by URL is refused too, and nothing changes.
    before = type(obj)._default_manager.count()
    response = ambassador_client.post(admin_url(obj, "delete"), {"post": "yes"})
    assert response.status_code in (403, 404)
    assert type(obj)._default_manager.count() == before


@pytest.mark.parametrize("key", SCOPED_KEYS)
def test_ambassador_lists_show_no_other_school_rows(ambassador_client, world, key):
    obj = world["b"][key]
    # The entries list opens on pending entries (the moderation queue): ask for all.
    query = {"status__exact": "all"} if key == "entry" else {}
    response = ambassador_client.get(admin_url(obj, "changelist"), query)
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown, key  # school A's own row is listed...
    assert all(row.pk != obj.pk for row in shown)  # ...school B's never
    assert "bbb" not in response.content.decode()
    assert "同济大学" not in response.content.decode()  # not even in the filters


@pytest.mark.parametrize("key", HIDDEN_KEYS)
def test_ambassador_cannot_list_voters_votes_or_audit(ambassador_client, world, key):
    response = ambassador_client.get(admin_url(world["a"][key], "changelist"))
    assert response.status_code == 403


def test_ambassador_cannot_add_entry_to_other_school_campaign(ambassador_client, world):
    other = world["b"]["campaign"]
    before = Entry.objects.count()
    response = ambassador_client.post(
        reverse("admin:voting_entry_add"),
        {
            "campaign": other.pk,
            "round": other.rounds.get().pk,
            "name": "闯入者",
            "student_id": "999",
            "caption": "",
        },
    )
    assert response.status_code == 200  # the form again, with errors
    assert "campaign" in response.context["adminform"].form.errors
    assert Entry.objects.count() == before


def test_ambassador_adds_entry_in_own_school_without_moderating_it(ambassador_client, world):
    own = world["a"]["campaign"]
    response = ambassador_client.post(
        reverse("admin:voting_entry_add"),
        {
            "campaign": own.pk,
            "round": own.rounds.get().pk,
            "name": "新选手",
            "student_id": "00123",
            "caption": "夜跑",
            "status": Entry.Status.APPROVED,  # ignored: status is read-only for interns
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = Entry.objects.get(name="新选手")
    assert entry.status == Entry.Status.PENDING
    assert entry.share_code


def test_ambassador_sees_team_phones_masked(ambassador_client, world):
    phone = world["a"]["ambassador"].phone
    body = ambassador_client.get(
        reverse("admin:ambassadors_ambassador_changelist")
    ).content.decode()
    assert phone not in body
    assert phone[:6] + "****" + phone[-4:] in body


def test_ambassador_cannot_approve_hours(ambassador_client, world):
    log = world["a"]["worklog"]
    response = ambassador_client.post(
        reverse("admin:ambassadors_worklog_changelist"),
        {"action": "approve", "_selected_action": [log.pk]},
    )
    assert response.status_code in (200, 302)
    log.refresh_from_db()
    assert log.approved is False


def test_staff_approves_hours(ops_client, world):
    log = world["a"]["worklog"]
    ops_client.post(
        reverse("admin:ambassadors_worklog_changelist"),
        {"action": "approve", "_selected_action": [log.pk]},
    )
    log.refresh_from_db()
    assert log.approved is True


def test_inactive_ambassador_loses_scope(client, ambassador_user, world):
    Ambassador.objects.filter(user=ambassador_user).update(active=False)
    client.force_login(ambassador_user)
    response = client.get(reverse("admin:ambassadors_worklog_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    assert client.get(admin_url(world["a"]["worklog"])).status_code in (403, 404)


def test_entry_admin_shows_read_only_valid_vote_count(ops_client, world):
    entry = world["a"]["entry"]
    VoteFactory(entry=entry)
    VoteFactory(entry=entry, status=Vote.Status.INVALIDATED, invalidated_at=timezone.now())
    response = ops_client.get(
        reverse("admin:voting_entry_changelist"), {"q": "entry-aaa", "status__exact": "all"}
    )
    (row,) = response.context["cl"].result_list
    assert row.n_valid == 2  # the fixture's vote and the new valid one, not the invalidated
    form = ops_client.get(admin_url(entry)).context["adminform"].form
    assert "valid_votes" not in form.fields


def test_models_are_all_registered():
    for model in (School, Pilot, Campaign, Round, Prize, Expense, AuditLog, Ambassador, WorkLog):
        assert model in admin.site._registry
    for model in (Entry, Voter, Vote, LeaderboardSnapshot, Report):
        assert model in admin.site._registry


def test_admin_speaks_chinese_by_default_and_english_on_request(ops_client):
    body = ops_client.get("/admin/").content.decode()
    assert "运营管理" in body and "投票" in body  # index title and app/model names
    ops_client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    body = ops_client.get("/admin/").content.decode()
    assert "Operations" in body and "Votes" in body
    assert 'id="language-switch"' in body


def test_money_fields_keep_decimals(world):
    assert world["a"]["expense"].amount == Decimal("300.00")


def test_roles_follow_models_added_after_the_roles_migration(db):
    """The staff group holds the permissions of models (fraud flags, import jobs) created
    by migrations that ran after the roles were made."""
    from django.contrib.auth.models import Group, Permission

    from campaigns.rules import AMBASSADOR_PERMISSIONS

    staff = Group.objects.get(name="staff")
    assert staff.permissions.count() < Permission.objects.count()  # never auth's
    assert staff.permissions.filter(codename="view_fraudflag").exists()
    ambassador = set(
        Group.objects.get(name="ambassador").permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    expected = {
        (model.split(".")[0], f"{action}_{model.split('.')[1]}")
        for model, actions in AMBASSADOR_PERMISSIONS.items()
        for action in actions
    }
    assert ambassador == expected
