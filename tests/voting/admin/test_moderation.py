"""The moderation queue (voting/admin/moderation.py): the entries list opens on pending
entries, and each row approves or rejects its entry through a CSRF-checked POST, for
staff only, within the user's school."""

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.models import AuditLog
from tests.factories import CampaignFactory, EntryFactory, VoterFactory
from tests.helpers import page_says
from tests.test_exports import FORMATS, export
from voting.models import Entry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]

CHANGELIST = "admin:voting_entry_changelist"


def moderate_url(entry: Entry) -> str:
    return reverse("admin:voting_entry_moderate", args=[entry.pk])


@pytest.fixture
def campaign(school_a):
    return CampaignFactory(pilot__school=school_a, slug="run-a")


@pytest.fixture
def queue(campaign):
    return {
        status: EntryFactory(
            campaign=campaign,
            status=status,
            name=f"选手-{status}",
            caption=f"{status} 的配文",
            voter=VoterFactory(),
        )
        for status in Entry.Status.values
    }


def test_the_list_opens_on_pending_entries_with_their_captions(ops_client, queue):
    response = ops_client.get(reverse(CHANGELIST))
    assert list(response.context["cl"].result_list) == [queue["pending"]]
    body = response.content.decode()
    assert "pending 的配文" in body
    assert f'id="moderate-{queue["pending"].pk}"' in body  # the row's own form
    # Every status, and all of them, one click away.
    everything = ops_client.get(reverse(CHANGELIST), {"status__exact": "all"})
    assert {e.pk for e in everything.context["cl"].result_list} == {e.pk for e in queue.values()}
    approved = ops_client.get(reverse(CHANGELIST), {"status__exact": "approved"})
    assert list(approved.context["cl"].result_list) == [queue["approved"]]
    # An unknown value is the queue, not an error or everything.
    odd = ops_client.get(reverse(CHANGELIST), {"status__exact": "<script>"})
    assert list(odd.context["cl"].result_list) == [queue["pending"]]


def test_reject_in_place_with_a_reason(ops_client, queue):
    entry = queue["pending"]
    back = reverse(CHANGELIST) + "?status__exact=pending"
    response = ops_client.post(
        moderate_url(entry),
        {"decision": "reject", "reason": "blurry", "note": "", "next": back},
    )
    assert response.status_code == 302 and response.url == back
    entry.refresh_from_db()
    assert entry.status == Entry.Status.REJECTED and entry.rejection_reason == "blurry"
    page = ops_client.get(back)
    assert page_says(
        page,
        "“%(entry)s” rejected: %(reason)s. The contestant is told by SMS.",
        entry=entry.name,
        reason="照片模糊",
    )
    assert AuditLog.objects.filter(action="entry.reject", object_id=str(entry.pk)).exists()
    # The reason shows in the list, under "all".
    assert (
        "照片模糊" in ops_client.get(reverse(CHANGELIST), {"status__exact": "all"}).content.decode()
    )


def test_approve_in_place(ops_client, queue):
    entry = queue["rejected"]
    response = ops_client.post(moderate_url(entry), {"decision": "approve"})
    assert response.status_code == 302 and response.url == reverse(CHANGELIST)
    entry.refresh_from_db()
    assert entry.status == Entry.Status.APPROVED


def test_a_reject_without_reason_says_why_and_changes_nothing(ops_client, queue):
    entry = queue["pending"]
    response = ops_client.post(
        moderate_url(entry), {"decision": "reject", "reason": "", "note": ""}, follow=True
    )
    assert page_says(response, "Choose why the entry is rejected.")
    entry.refresh_from_db()
    assert entry.status == Entry.Status.PENDING
    response = ops_client.post(
        moderate_url(entry), {"decision": "reject", "reason": "other"}, follow=True
    )
    assert page_says(response, "Say why in the note when the reason is “other”.")
    response = ops_client.post(moderate_url(entry), {"decision": "delete"}, follow=True)
    assert page_says(response, "Choose approve or reject.")
    entry.refresh_from_db()
    assert entry.status == Entry.Status.PENDING
    assert not AuditLog.objects.filter(action__startswith="entry.").exists()


def test_an_entry_without_a_phone_is_flagged_to_the_moderator(ops_client, campaign):
    entry = EntryFactory(campaign=campaign, status=Entry.Status.PENDING)  # no voter account
    response = ops_client.post(
        moderate_url(entry), {"decision": "reject", "reason": "off_topic"}, follow=True
    )
    assert page_says(
        response,
        "“%(entry)s” rejected: %(reason)s. The contestant has no phone on record "
        "(entered by an ambassador): tell them yourself.",
        entry=entry.name,
        reason="与主题不符",
    )


def test_the_moderate_view_is_post_only_and_csrf_checked(ops_user, queue):
    entry = queue["pending"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ops_user)
    assert strict.get(moderate_url(entry)).status_code == 405
    assert strict.post(moderate_url(entry), {"decision": "approve"}).status_code == 403
    entry.refresh_from_db()
    assert entry.status == Entry.Status.PENDING


def test_a_foreign_next_is_not_followed(ops_client, queue):
    for next_url in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = ops_client.post(
            moderate_url(queue["pending"]), {"decision": "approve", "next": next_url}
        )
        assert response.url == reverse(CHANGELIST), next_url


def test_interns_neither_see_the_buttons_nor_moderate(ambassador_client, queue):
    entry = queue["pending"]
    body = ambassador_client.get(reverse(CHANGELIST)).content.decode()
    assert "选手-pending" in body and f'id="moderate-{entry.pk}"' not in body
    assert 'value="reject"' not in body
    response = ambassador_client.post(moderate_url(entry), {"decision": "approve"})
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.status == Entry.Status.PENDING


def test_an_entry_out_of_scope_is_refused(ambassador_client):
    other = EntryFactory(status=Entry.Status.PENDING)  # another school's
    response = ambassador_client.post(moderate_url(other), {"decision": "approve"})
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.status == Entry.Status.PENDING


def test_a_missing_entry_is_a_404(ops_client):
    assert (
        ops_client.post("/admin/voting/entry/999999/moderate/", {"decision": "approve"}).status_code
        == 404
    )


def test_no_bulk_reject_without_a_reason(ops_client, queue):
    entry = queue["pending"]
    ops_client.post(reverse(CHANGELIST), {"action": "reject", "_selected_action": [entry.pk]})
    entry.refresh_from_db()
    assert entry.status == Entry.Status.PENDING


def test_the_list_costs_the_same_queries_for_more_rows(
    ops_client, campaign, django_assert_max_num_queries
):
    for _ in range(3):
        EntryFactory(campaign=campaign, status=Entry.Status.PENDING)
    ops_client.get(reverse(CHANGELIST))  # warm caches (content types, permissions)
    with django_assert_max_num_queries(30) as few:
        ops_client.get(reverse(CHANGELIST))
    for _ in range(20):
        EntryFactory(campaign=campaign, status=Entry.Status.PENDING)
    with django_assert_max_num_queries(len(few.captured_queries)):
        ops_client.get(reverse(CHANGELIST))


def test_an_export_takes_every_status_unless_one_is_chosen(ops_client, queue):
    everything = export(ops_client, "voting_entry", "csv").content.decode("utf-8-sig")
    assert all(e.name in everything for e in queue.values())
    url = reverse("admin:voting_entry_export") + "?status__exact=approved"
    form = ops_client.get(url).context["form"]
    data = {"format": FORMATS["csv"], "resource": "0"}
    data.update({n: "on" for n in form.fields if n not in ("format", "resource", "export_items")})
    approved = ops_client.post(url, data).content.decode("utf-8-sig")
    assert queue["approved"].name in approved and queue["pending"].name not in approved
