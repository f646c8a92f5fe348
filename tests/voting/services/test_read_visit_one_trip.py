"""A cached read that counts a visit records it in the same Redis round trip as it
reads its body (core/public_cache.py ``on_hit``, voting/services/traffic.py
``visit_pending``; docs/caching.md): one round trip per read, and the counts stay
exact (first views only, none for a read that is not found, the per-IP cap)."""

import pytest
from django.test import Client
from redis.connection import AbstractConnection

from core.redis_cache import redis_client
from tests.factories import EntryFactory
from voting.models import Visit
from voting.services.traffic import visits_flush, visits_pending

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]


@pytest.fixture
def round_trips(monkeypatch):
    """The commands sent to Redis, counted on the connection: through redis-py's client
    methods and through core.redis_cache.script_call alike."""
    calls = []
    original = AbstractConnection.send_command

    def counted(self, *args, **options):
        calls.append(args[0])
        return original(self, *args, **options)

    monkeypatch.setattr(AbstractConnection, "send_command", counted)
    return calls


def _paths(campaign, entry):
    api = f"/api/v1/campaigns/{campaign.slug}"
    return {
        f"{api}/": None,
        f"{api}/entries/": None,
        f"{api}/entries/{entry.pk}/": entry.pk,
        f"/c/{campaign.slug}/": None,
        f"/c/{campaign.slug}/e/{entry.pk}/": entry.pk,
    }


def test_a_cached_read_and_its_visit_are_one_round_trip(redis_cache, campaign, round_trips):
    assert redis_client() is not None
    entry = EntryFactory(campaign=campaign)
    client = Client()
    for path in _paths(campaign, entry):
        assert client.get(path, HTTP_X_VISITOR_ID="visitor-first").status_code == 200  # builds
        round_trips.clear()
        response = client.get(path, HTTP_X_VISITOR_ID="visitor-second", REMOTE_ADDR="203.0.113.9")
        assert response.status_code == 200
        assert round_trips == ["EVALSHA"], path
    # Each visitor once per target (the campaign, the entry), built or cached, API or site.
    assert visits_pending() == 4
    for path in _paths(campaign, entry):  # repeats add nothing
        client.get(path, HTTP_X_VISITOR_ID="visitor-second", REMOTE_ADDR="203.0.113.9")
    visits_flush()
    rows = set(Visit.objects.values_list("visitor_id", "entry_id"))
    assert rows == {(v, e) for v in ("visitor-first", "visitor-second") for e in (None, entry.pk)}
    assert Visit.objects.count() == 4


def test_a_read_not_found_counts_no_visit(redis_cache, campaign):
    entry = EntryFactory(campaign=campaign)
    client = Client()
    api = f"/api/v1/campaigns/{campaign.slug}"
    assert (
        client.get(f"{api}/entries/{entry.pk}/", HTTP_X_VISITOR_ID="visitor-a").status_code == 200
    )
    assert (
        client.get(f"{api}/entries/{entry.pk + 99}/", HTTP_X_VISITOR_ID="visitor-b").status_code
        == 404
    )
    assert (
        client.get(
            f"/c/{campaign.slug}/e/{entry.pk + 99}/", HTTP_X_VISITOR_ID="visitor-b"
        ).status_code
        == 404
    )
    visits_flush()
    assert set(Visit.objects.values_list("visitor_id", "entry_id")) == {("visitor-a", entry.pk)}


@pytest.mark.parametrize("stack", ["redis", "no-redis"])
def test_the_per_ip_cap_applies_to_every_read_api_and_site(stack, campaign, settings, request):
    """A client that sends a fresh visitor id with every request (one address, many ids)
    brings at most VISITORS_MAX_NEW_PER_IP_PER_HOUR visitors, whichever read it uses:
    the API's or the site's, built or cached, with Redis or without."""
    if stack == "redis":
        request.getfixturevalue("redis_cache")
    settings.VISITORS_MAX_NEW_PER_IP_PER_HOUR = 2
    entry = EntryFactory(campaign=campaign)
    client = Client()
    for target, path in enumerate(_paths(campaign, entry)):
        for n in range(5):
            response = client.get(
                path,
                HTTP_X_VISITOR_ID=f"visitor-nat-{target}-{n}",
                REMOTE_ADDR=f"198.51.100.{target}",
            )
            assert response.status_code == 200, path
    visits_flush()
    stored = set(Visit.objects.values_list("visitor_id", flat=True))
    assert stored == {
        f"visitor-nat-{t}-{n}" for t in range(len(_paths(campaign, entry))) for n in (0, 1)
    }


def test_a_share_click_is_one_round_trip_and_a_gone_link_counts_nothing(
    redis_cache, campaign, round_trips
):
    from voting.models import Entry

    entry = EntryFactory(campaign=campaign)
    client = Client()
    path = f"/s/{entry.share_code}"
    assert client.get(path, HTTP_X_VISITOR_ID="visitor-share-1").status_code == 302
    assert client.get(path, HTTP_X_VISITOR_ID="visitor-share-2").status_code == 302  # cached
    round_trips.clear()
    assert client.get(path, HTTP_X_VISITOR_ID="visitor-share-3").status_code == 302
    assert round_trips == ["EVALSHA"]
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.REJECTED)
    from core.public_cache import _bump_now

    _bump_now(campaign.pk)  # what a moderation does once it commits
    assert client.get(path, HTTP_X_VISITOR_ID="visitor-share-4").status_code == 404
    assert client.get(path, HTTP_X_VISITOR_ID="visitor-share-5").status_code == 404
    visits_flush()
    clicks = Visit.objects.filter(kind=Visit.Kind.SHARE_CLICK, entry=entry)
    assert set(clicks.values_list("visitor_id", flat=True)) == {
        "visitor-share-1",
        "visitor-share-2",
        "visitor-share-3",
    }
