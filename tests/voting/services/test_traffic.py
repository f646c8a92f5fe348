"""Unique visitors cannot be inflated from one client: each IP brings at most
VISITORS_MAX_NEW_PER_IP_PER_HOUR visitor ids an hour (voting/services/traffic.py)."""

import uuid

import pytest
from django.core.cache import cache

from tests.factories import EntryFactory
from voting.models import Visit
from voting.services.traffic import visit_record, visitor_admitted, visits_flush

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]


def unique_visitors(campaign) -> int:
    visits_flush()  # buffered when the cache is Redis (the PostgreSQL + Redis stack)
    return Visit.objects.filter(campaign=campaign).values("visitor_id").distinct().count()


def test_a_thousand_random_visitor_ids_from_one_ip_add_at_most_the_limit(api, campaign, settings):
    limit = settings.VISITORS_MAX_NEW_PER_IP_PER_HOUR
    assert limit == 300  # the default
    url = f"/api/v1/campaigns/{campaign.slug}/"
    for _ in range(1000):
        response = api.get(url, HTTP_X_VISITOR_ID=uuid.uuid4().hex, REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 200
    assert unique_visitors(campaign) == limit
    # Another client is counted as before.
    api.get(url, HTTP_X_VISITOR_ID="visitor-from-elsewhere", REMOTE_ADDR="198.51.100.2")
    assert unique_visitors(campaign) == limit + 1


def test_cookieless_clients_and_spoofed_forwarding_headers_are_limited_too(api, campaign, settings):
    settings.VISITORS_MAX_NEW_PER_IP_PER_HOUR = 20
    url = f"/api/v1/campaigns/{campaign.slug}/entries/"
    for n in range(60):
        # No id at all: the server draws one per request (and sets the cookie, ignored).
        api.cookies.clear()
        api.get(url, REMOTE_ADDR="203.0.113.8", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert unique_visitors(campaign) == 20


def test_an_admitted_visitor_goes_on_counting_everywhere(api, campaign, settings):
    settings.VISITORS_MAX_NEW_PER_IP_PER_HOUR = 1
    entry = EntryFactory(campaign=campaign)
    ip = "203.0.113.9"
    assert visit_record(visitor_id="first-visitor", campaign_id=campaign.pk, ip=ip)
    assert visit_record(
        visitor_id="first-visitor", campaign_id=campaign.pk, entry_id=entry.pk, ip=ip
    )
    assert not visit_record(visitor_id="second-visitor", campaign_id=campaign.pk, ip=ip)
    # The share-link click of an admitted visitor counts; of a new one from that IP not.
    share = f"/s/{entry.share_code}"
    api.get(share, HTTP_X_VISITOR_ID="first-visitor", REMOTE_ADDR=ip)
    api.get(share, HTTP_X_VISITOR_ID="third-visitor", REMOTE_ADDR=ip)
    visits_flush()
    clicks = Visit.objects.filter(kind=Visit.Kind.SHARE_CLICK)
    assert list(clicks.values_list("visitor_id", flat=True)) == ["first-visitor"]


def test_no_ip_or_a_zero_limit_means_no_limit(settings):
    settings.VISITORS_MAX_NEW_PER_IP_PER_HOUR = 1
    assert all(visitor_admitted(visitor_id=f"v{n}", ip=None) for n in range(5))
    settings.VISITORS_MAX_NEW_PER_IP_PER_HOUR = 0
    assert all(visitor_admitted(visitor_id=f"v{n}", ip="203.0.113.1") for n in range(5))


def test_the_count_lives_in_the_cache_and_expires_with_the_hour(settings):
    settings.VISITORS_MAX_NEW_PER_IP_PER_HOUR = 2
    ip = "203.0.113.10"
    assert [visitor_admitted(visitor_id=f"v{n}", ip=ip) for n in range(4)] == [
        True,
        True,
        False,
        False,
    ]
    assert visitor_admitted(visitor_id="v0", ip=ip)  # already admitted: still counts
    cache.clear()  # a new hour (or a flushed cache): room again
    assert visitor_admitted(visitor_id="v9", ip=ip)
