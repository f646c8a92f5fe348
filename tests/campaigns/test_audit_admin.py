"""The audit log as people read it (campaigns/admin_audit.py, campaigns/audit.py)."""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from campaigns.admin_audit import DETAIL_LINKS
from campaigns.audit import AUDIT_ACTIONS, audit_record
from campaigns.models import AuditLog
from campaigns.rosters.pipeline import KINDS
from campaigns.services import pilot_replicate
from tests.factories import CampaignFactory, EntryFactory, PilotFactory, SchoolFactory
from voting.services.awards import TRANSITIONS

REPO = Path(__file__).resolve().parents[2]
APPS = ["core", "campaigns", "ambassadors", "voting", "reports", "home", "web", "demo"]
# The placeholders of f-string codes, and the values they take.
PLACEHOLDERS = {
    "report.kind": list(KINDS),
    "state": [str(state) for state in TRANSITIONS],
}
CHANGELIST = "/admin/campaigns/auditlog/"


def _codes_written() -> set[str]:
    """Every action code the tree writes: ``action=`` of audit_record and of
    campaign_record_frozen_change (and its default), and ``audit_action`` attributes."""
    codes: set[str] = set()
    for app in APPS:
        for path in (REPO / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                values = []
                if isinstance(node, ast.Call):
                    values = [kw.value for kw in node.keywords if kw.arg == "action"]
                    name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                    if name not in ("audit_record", "campaign_record_frozen_change"):
                        values = []
                elif isinstance(node, ast.FunctionDef) and node.name.endswith("_change"):
                    args = node.args.kwonlyargs
                    defaults = node.args.kw_defaults
                    values = [d for a, d in zip(args, defaults, strict=True) if a.arg == "action"]
                elif isinstance(node, ast.Assign) and any(
                    getattr(t, "id", "") == "audit_action" for t in node.targets
                ):
                    values = [node.value]
                for value in values:
                    codes |= _expand(value, path)
    return codes - {""}


def _expand(value, path) -> set[str]:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return {value.value}
    if isinstance(value, ast.JoinedStr):
        found = {""}
        for part in value.values:
            if isinstance(part, ast.Constant):
                found = {f + part.value for f in found}
            else:
                key = ast.unparse(part.value)
                assert key in PLACEHOLDERS, f"{path}: unknown placeholder {{{key}}} in a code"
                found = {f + v for f in found for v in PLACEHOLDERS[key]}
        return found
    if ast.unparse(value) in ("action", "self.audit_action"):
        return set()  # passed through: the caller's or the class attribute's code is found
    pytest.fail(f"{path}:{value.lineno}: an action code the test cannot read")


def test_every_action_code_the_tree_writes_has_a_label():
    codes = _codes_written()
    assert {"votes.invalidate", "campaign.policy_change", "import.ambassadors"} <= codes
    assert sorted(codes - set(AUDIT_ACTIONS)) == []


def test_every_detail_link_names_a_model_with_an_admin_page():
    for key, label in DETAIL_LINKS.items():
        assert admin.site.is_registered(apps.get_model(label)), key


@pytest.fixture
def entries(db, ops_user):
    campaign = CampaignFactory(title="最美跑者", pilot=PilotFactory(name="复旦试点"))
    entry = EntryFactory(campaign=campaign, name="李四")
    policy = audit_record(
        actor=ops_user,
        action="campaign.policy_change",
        target=campaign,
        reason="赞助商要求每天多投一票" * 10,
        data={
            "fields": {"votes_per_day": "5"},
            "previous": {"votes_per_day": "3"},
            "prizes_changed": False,
            "rounds_changed": True,
        },
    )
    award = audit_record(
        actor=ops_user,
        action="prize_award.handed_out",
        target=campaign,
        data={"award": 999, "entry": entry.pk, "prize": 998, "voters": list(range(25))},
    )
    return campaign, entry, policy, award


def test_the_list_reads_in_words_with_links(entries, ops_client):
    campaign, _entry, _policy, _award = entries
    ops_client.cookies["django_language"] = "zh-hans"
    html = ops_client.get(CHANGELIST).content.decode()
    assert "投票规则或时间在投票开始后被修改" in html
    assert "奖品已发放" in html
    assert "campaign.policy_change</" not in html  # the code only as a tooltip
    assert "活动 | 活动" not in html and "活动管理 | 活动" not in html
    assert reverse("admin:campaigns_campaign_change", args=[campaign.pk]) in html
    assert 'title="赞助商要求' in html  # the long reason clipped, whole in its title


def test_the_action_filter_lists_actions_in_words(entries, ops_client):
    ops_client.cookies["django_language"] = "zh-hans"
    response = ops_client.get(CHANGELIST, {"action": "prize_award.handed_out"})
    assert response.context["cl"].result_count == 1
    filters = response.content.decode().split('id="changelist-filter"')[1]
    assert "奖品已发放" in filters and "prize_award.handed_out</a>" not in filters


def test_the_page_shows_details_as_label_and_value(entries, ops_client):
    _campaign, entry, policy, award = entries
    ops_client.cookies["django_language"] = "zh-hans"
    html = ops_client.get(reverse("admin:campaigns_auditlog_change", args=[policy.pk])).content
    html = html.decode()
    assert "新值: 每人每天的票数上限: 5" in html
    assert "原值: 每人每天的票数上限: 3" in html
    assert "奖品有变动: 否" in html and "轮次有变动: 是" in html
    assert "{&quot;" not in html and '{"' not in html
    # The page's title and breadcrumb name the action in words too.
    assert "投票规则或时间在投票开始后被修改 最美跑者" in html.split("<h2>")[0]
    html = ops_client.get(reverse("admin:campaigns_auditlog_change", args=[award.pk])).content
    html = html.decode()
    assert reverse("admin:voting_entry_change", args=[entry.pk]) in html
    assert "0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 还有 15 项" in html


def test_hostile_and_odd_rows_render_escaped(db, ops_user, ops_client):
    evil = "<script>alert(1)</script>"
    audit_record(
        actor=ops_user,
        action="no.such.code",
        reason=evil,
        data={evil: evil, "logs": [{"id": 1, "date": evil}], "entry": "not-an-id"},
    )
    AuditLog.objects.create(action="votes.invalidate", data=[1, 2, 3])
    AuditLog.objects.create(action="", data={})
    AuditLog.objects.create(action="votes.invalidate", object_repr=evil, object_id="12345")
    response = ops_client.get(CHANGELIST)
    assert response.status_code == 200
    assert evil not in response.content.decode()
    assert "no.such.code" in response.content.decode()  # an unknown code as it is
    for row in AuditLog.objects.all():
        page = ops_client.get(reverse("admin:campaigns_auditlog_change", args=[row.pk]))
        assert page.status_code == 200
        assert evil not in page.content.decode()


def test_a_real_service_row_reads_well(db, ops_user, ops_client):
    pilot = PilotFactory(name="复旦试点")
    copy = pilot_replicate(
        pilot=pilot,
        actor=ops_user,
        school=SchoolFactory(),
        name="同济试点",
        starts_on=pilot.ends_on,
    )
    row = AuditLog.objects.get(action="pilot.replicate")
    ops_client.cookies["django_language"] = "zh-hans"
    html = ops_client.get(reverse("admin:campaigns_auditlog_change", args=[row.pk])).content
    html = html.decode()
    assert reverse("admin:campaigns_pilot_change", args=[pilot.pk]) in html  # from_pilot
    assert str(copy) in html


def test_interns_cannot_read_the_log(entries, ambassador_client):
    assert ambassador_client.get(CHANGELIST).status_code == 403
    _c, _e, policy, _a = entries
    url = reverse("admin:campaigns_auditlog_change", args=[policy.pk])
    assert ambassador_client.get(url).status_code in (302, 403)


def test_the_list_is_a_fixed_number_of_queries(
    entries, ops_user, ops_client, django_assert_max_num_queries
):
    campaign, _entry, _policy, _award = entries
    for n in range(30):
        audit_record(actor=ops_user, action="votes.invalidate", target=campaign, data={"votes": n})
    ops_client.get(CHANGELIST)
    with django_assert_max_num_queries(12):
        assert ops_client.get(CHANGELIST).status_code == 200
