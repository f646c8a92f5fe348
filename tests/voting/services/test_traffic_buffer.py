"""Visits off the request path (voting/services/traffic.py, docs/caching.md): with Redis
as the shared cache a first view waits in a buffer, and ``visits_flush`` writes it
exactly once, whatever runs twice or dies midway. Without Redis, the same rows are
written at once. Either way: one row per first view, and the report's visitor numbers
do not depend on which.
"""

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from core.redis_cache import redis_client
from reports.runner import CampaignReportRunner
from tests.factories import CampaignFactory, EntryFactory
from voting.models import Visit
from voting.services import traffic
from voting.services.traffic import (
    share_click_record,
    visit_record,
    visits_flush,
    visits_pending,
    visits_write,
)
from voting.tasks.traffic import visits_flush as visits_flush_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]


def _visitors(n: int) -> list[str]:
    return [f"visitor-{uuid.uuid4().hex[:12]}" for _ in range(n)]


def test_a_first_view_waits_in_the_buffer_until_the_flush(redis_cache, campaign):
    entry = EntryFactory(campaign=campaign)
    assert visit_record(visitor_id="v-1", campaign_id=campaign.pk, ip="203.0.113.1")
    assert visit_record(visitor_id="v-1", campaign_id=campaign.pk, entry_id=entry.pk)
    assert share_click_record(visitor_id="v-1", campaign_id=campaign.pk, entry_id=entry.pk)
    # A reload within the window does not even reach the buffer.
    assert not visit_record(visitor_id="v-1", campaign_id=campaign.pk)
    assert Visit.objects.count() == 0 and visits_pending() == 3
    assert visits_flush() == 3
    assert visits_pending() == 0
    rows = set(Visit.objects.values_list("visitor_id", "kind", "entry_id"))
    assert rows == {
        ("v-1", "visit", None),
        ("v-1", "visit", entry.pk),
        ("v-1", "share_click", entry.pk),
    }


def test_flushing_twice_or_an_empty_buffer_writes_nothing_more(redis_cache, campaign):
    for vid in _visitors(5):
        visit_record(visitor_id=vid, campaign_id=campaign.pk)
    assert visits_flush() == 5
    assert visits_flush() == 0
    assert Visit.objects.count() == 5


def test_a_batch_written_twice_stores_each_first_view_once(redis_cache, campaign):
    # What a redelivered task, or a claim re-taken while its worker was only slow, does.
    row = {
        "v": "twice",
        "k": "visit",
        "c": campaign.pk,
        "e": None,
        "at": "2026-05-01T10:00:00+08:00",
    }
    assert visits_write([row, row]) == 2
    assert visits_write([row]) == 1
    assert Visit.objects.filter(visitor_id="twice").count() == 1


def test_a_claim_left_by_a_dead_worker_is_written_by_the_next_flush(
    redis_cache, campaign, settings
):
    visitors = _visitors(4)
    for vid in visitors:
        visit_record(visitor_id=vid, campaign_id=campaign.pk)
    client = redis_client()
    # A worker claims the buffer, then dies before writing it.
    dead_claim = f"{traffic._CLAIM_PREFIX}dead"
    claimed_at = time.time()
    claim = (traffic._CLAIM, 3, traffic._BUFFER, dead_claim, traffic._CLAIMS, claimed_at)
    assert client.eval(*claim) == 1
    # Visits keep coming meanwhile, into a fresh buffer.
    visit_record(visitor_id="after-the-claim", campaign_id=campaign.pk)
    settings.VISITS_RECLAIM_SECONDS = 3600  # not yet presumed dead: only the new one
    assert visits_flush() == 1
    assert visits_pending() == 4
    settings.VISITS_RECLAIM_SECONDS = 0  # now presumed dead
    assert visits_flush() == 4
    assert visits_pending() == 0
    assert set(Visit.objects.values_list("visitor_id", flat=True)) == {*visitors, "after-the-claim"}


def test_a_worker_dying_mid_batch_loses_nothing_and_doubles_nothing(
    redis_cache, campaign, settings, monkeypatch
):
    visitors = _visitors(12)
    for vid in visitors:
        visit_record(visitor_id=vid, campaign_id=campaign.pk)
    monkeypatch.setattr(traffic, "_FLUSH_CHUNK", 5)
    real_write, calls = traffic.visits_write, []

    def dies_on_the_second_chunk(rows, **kwargs):
        calls.append(len(rows))
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return real_write(rows, **kwargs)

    monkeypatch.setattr(traffic, "visits_write", dies_on_the_second_chunk)
    with pytest.raises(SystemExit):
        visits_flush()
    assert Visit.objects.count() == 5  # the first chunk committed
    monkeypatch.setattr(traffic, "visits_write", real_write)
    settings.VISITS_RECLAIM_SECONDS = 0
    visits_flush()
    assert sorted(Visit.objects.values_list("visitor_id", flat=True)) == sorted(visitors)


def test_visits_of_a_campaign_or_entry_deleted_meanwhile_are_dropped(redis_cache):
    kept, gone = CampaignFactory(), CampaignFactory()
    entry = EntryFactory(campaign=kept)
    gone_entry = EntryFactory(campaign=kept)
    visit_record(visitor_id="a", campaign_id=kept.pk, entry_id=entry.pk)
    visit_record(visitor_id="b", campaign_id=kept.pk, entry_id=gone_entry.pk)
    visit_record(visitor_id="c", campaign_id=gone.pk)
    gone_entry.delete()
    gone.delete()
    assert visits_flush() == 1
    assert list(Visit.objects.values_list("visitor_id", flat=True)) == ["a"]
    assert visits_pending() == 0  # dropped, not left to fail every flush


def test_the_task_flushes_and_beat_runs_it_every_15_seconds(redis_cache, campaign):
    visit_record(visitor_id="by-the-task", campaign_id=campaign.pk)
    assert visits_flush_task.apply().get() == 1
    assert Visit.objects.filter(visitor_id="by-the-task").exists()
    task = PeriodicTask.objects.get(task="voting.visits_flush")
    assert task.enabled and (task.interval.every, task.interval.period) == (15, "seconds")


def test_without_redis_visits_are_written_at_once(campaign):
    assert redis_client() is None or pytest.skip("the cache is Redis on this stack")
    visit_record(visitor_id="direct", campaign_id=campaign.pk)
    assert Visit.objects.filter(visitor_id="direct").count() == 1
    assert visits_flush() == 0 and visits_pending() == 0


def test_buffered_rows_are_what_the_direct_write_stores(redis_cache, campaign):
    visit_record(visitor_id="same", campaign_id=campaign.pk, at=None)
    (raw,) = redis_client().lrange(traffic._BUFFER, 0, -1)
    row = json.loads(raw)
    assert set(row) == {"v", "k", "c", "e", "at"} and row["c"] == campaign.pk


# --- The report reads the same numbers --------------------------------------------------


def _visit_mix(campaign) -> None:
    entries = [EntryFactory(campaign=campaign) for _ in range(3)]
    for n, vid in enumerate(_visitors(30)):
        visit_record(visitor_id=vid, campaign_id=campaign.pk, ip=f"198.51.100.{n % 3}")
        visit_record(visitor_id=vid, campaign_id=campaign.pk, entry_id=entries[n % 3].pk)
        if n % 4 == 0:
            share_click_record(visitor_id=vid, campaign_id=campaign.pk, entry_id=entries[0].pk)
        visit_record(visitor_id=vid, campaign_id=campaign.pk)  # a reload


def _report_visitors(campaign) -> tuple[int, int]:
    report = CampaignReportRunner(campaign).run()
    return report.unique_visitors, report.share_visitors


def test_the_report_counts_buffered_visits_as_written_ones(redis_cache, django_db_blocker):
    direct, buffered = CampaignFactory(), CampaignFactory()
    # Without the buffer (rows written at once), then through it: same figures, and
    # the report flushes the buffer itself before counting.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(traffic, "redis_client", lambda: None)
        _visit_mix(direct)
    _visit_mix(buffered)
    assert visits_pending() > 0
    assert _report_visitors(buffered) == _report_visitors(direct) == (30, 8)
    assert visits_pending() == 0


def test_the_report_command_counts_the_buffer_too(redis_cache, campaign, capsys):
    for vid in _visitors(7):
        visit_record(visitor_id=vid, campaign_id=campaign.pk)
    call_command("campaign_report", campaign.slug, "--json")
    assert json.loads(capsys.readouterr().out)["unique_visitors"] == 7


# --- Concurrent first views, through real HTTP -------------------------------------------


def _concurrent_views(live_server, campaign, entry, visitors: list[str]) -> list[int]:
    urls = [
        f"{live_server.url}/api/v1/campaigns/{campaign.slug}/",
        f"{live_server.url}/api/v1/campaigns/{campaign.slug}/entries/{entry.pk}/",
        f"{live_server.url}/c/{campaign.slug}/",
    ]
    jobs = [(vid, url) for vid in visitors for url in urls for _repeat in range(2)]
    barrier = threading.Barrier(len(jobs))

    def get(job):
        vid, url = job
        with requests.Session() as session:
            barrier.wait(timeout=30)
            return session.get(url, headers={"X-Visitor-Id": vid}, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(get, jobs))


@pytest.mark.parametrize("buffered", [False, True], ids=["direct", "buffered"])
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_views_are_counted_exactly(live_server, buffered, request):
    if buffered:
        request.getfixturevalue("redis_cache")
    elif redis_client() is not None:
        pytest.skip("the cache is Redis on this stack: the buffered case covers it")
    campaign = CampaignFactory(slug="rush")
    entry = EntryFactory(campaign=campaign)
    # The same few visitors, each opening three pages twice, all at once; then others.
    visitors = _visitors(8)
    statuses = _concurrent_views(live_server, campaign, entry, visitors)
    assert set(statuses) == {200}
    visits_flush()
    visits = Visit.objects.filter(campaign=campaign)
    assert visits.filter(entry=None).count() == len(visitors)
    assert visits.filter(entry=entry).count() == len(visitors)
    assert set(visits.values_list("visitor_id", flat=True)) == set(visitors)
