"""Staff's "Scan now" through a real Celery worker: the flags list says the scan waits,
the worker runs it, a planted farm's flag appears and the last scan time is set."""

import re

import pytest
from django.urls import reverse

from tests.celery_worker import broker_clear, celery_workers, wait_until  # noqa: F401
from tests.factories import UserFactory
from tests.voting.services.test_fraud import make_world, plant_device_farm
from voting.models import FraudFlag, FraudScan

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_scan_now_makes_the_flag_appear_and_sets_last_scanned(
    client,
    celery_workers,  # noqa: F811
):
    broker_clear()
    worker = celery_workers()
    world = make_world()
    plant_device_farm(world)
    staff = UserFactory(role="staff")
    client.force_login(staff)
    changelist = reverse("admin:voting_fraudflag_changelist")

    before = client.get(changelist).content.decode()
    assert "尚未扫描" in before and "立即扫描" in before
    response = client.post(reverse("admin:voting_fraudflag_scan"), follow=True)
    page = response.content.decode()
    assert "已把 1 个活动的扫描交给后台任务" in page
    scan = FraudScan.objects.get(campaign=world.campaign)
    assert scan.requested_by == staff and scan.requested_at is not None

    flag = wait_until(
        lambda: FraudFlag.objects.filter(campaign=world.campaign, kind="device_cluster").first(),
        worker=worker,
        what="the farm's flag",
    )
    wait_until(
        lambda: FraudScan.objects.get(pk=scan.pk).state == "done",
        worker=worker,
        what="the scan's end",
    )
    scan.refresh_from_db()
    assert scan.finished_at > scan.requested_at and scan.flags_changed >= 1
    after = client.get(changelist).content.decode()
    assert re.search(r"最近扫描于 \d\d-\d\d \d\d:\d\d（\d+ 条嫌疑新增或有变化）", after)
    assert reverse("admin:voting_fraudflag_change", args=[flag.pk]) in after


def test_scan_now_is_for_staff_and_post_only(client, db):
    intern = UserFactory(role="ambassador")
    client.force_login(intern)
    assert client.post(reverse("admin:voting_fraudflag_scan")).status_code == 403
    client.force_login(UserFactory(role="staff"))
    assert client.get(reverse("admin:voting_fraudflag_scan")).status_code == 405
    assert not FraudScan.objects.exists()
