"""A public read whose body is cached is answered before DRF's dispatch
(voting/api/caching.py ``CachedReadView``, as Django's ``cache_page``): the same status,
body and headers as the read that built it, the same visit, and whatever DRF would
refuse or fail (an Accept JSON does not meet, a bad id, an unknown slug) still goes
through DRF and answers as before."""

import pytest
from rest_framework.views import APIView

from tests.factories import EntryFactory
from voting.models import Visit
from voting.services.traffic import visits_flush

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]

BASE = "/api/v1/campaigns/best-runner"
_HEADERS = ("Content-Type", "ETag", "Cache-Control", "Allow", "Vary", "Content-Language")


@pytest.fixture(params=["stack cache", "redis"])
def any_cache(request):
    if request.param == "redis":
        request.getfixturevalue("redis_cache")


@pytest.fixture
def dispatched(monkeypatch):
    """The reads DRF dispatched (its ``initial``: negotiation, authentication...)."""
    calls = []
    original = APIView.initial

    def initial(self, request, *args, **kwargs):
        calls.append(request.path)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(APIView, "initial", initial)
    return calls


def _paths(entry):
    return [
        "/api/v1/campaigns/",
        f"{BASE}/",
        f"{BASE}/entries/",
        f"{BASE}/entries/?page=1&page_size=5",
        f"{BASE}/entries/{entry.pk}/",
        f"{BASE}/leaderboard/",
    ]


def test_a_cached_read_answers_as_the_read_that_built_it(any_cache, api, campaign, dispatched):
    entry = EntryFactory(campaign=campaign)
    for path in _paths(entry):
        dispatched.clear()
        built = api.get(path, HTTP_X_VISITOR_ID="visitor-builds")
        assert dispatched == [path.partition("?")[0]], "a miss goes through DRF"
        dispatched.clear()
        kept = api.get(path, HTTP_X_VISITOR_ID="visitor-reads")
        assert dispatched == [], f"{path}: a hit is answered before DRF"
        assert (
            (kept.status_code, kept.content)
            == (built.status_code, built.content)
            == (
                200,
                built.content,
            )
        )
        for name in _HEADERS:
            assert kept.get(name) == built.get(name), (path, name)
        assert kept["Allow"].startswith("GET")


def test_a_cached_read_counts_its_visit_once_and_gives_a_new_visitor_a_cookie(
    any_cache, api, campaign
):
    entry = EntryFactory(campaign=campaign)
    path = f"{BASE}/entries/{entry.pk}/"
    api.get(path, HTTP_X_VISITOR_ID="visitor-builds")
    fresh = api.get(path)  # no id: a new visitor, from the cache
    assert fresh.status_code == 200
    vid = fresh.cookies["vid"].value
    api.cookies.clear()
    assert api.get(path, HTTP_X_VISITOR_ID=vid).status_code == 200  # a repeat
    visits_flush()
    assert sorted(Visit.objects.filter(entry=entry).values_list("visitor_id", flat=True)) == sorted(
        ["visitor-builds", vid]
    )


def test_a_cached_read_answers_304_to_its_etag(any_cache, api, campaign, dispatched):
    etag = api.get(f"{BASE}/leaderboard/")["ETag"]
    dispatched.clear()
    again = api.get(f"{BASE}/leaderboard/", HTTP_IF_NONE_MATCH=etag)
    assert (again.status_code, again.content, dispatched) == (304, b"", [])


@pytest.mark.parametrize(
    "path, headers, status, code",
    [
        (f"{BASE}/", {"HTTP_ACCEPT": "image/png"}, 406, "not_acceptable"),
        (f"{BASE}/entries/?page=abc", {}, 400, "invalid"),
        (f"{BASE}/entries/?page=99", {}, 404, "not_found"),
        (f"{BASE}/entries/x1/", {}, 404, "not_found"),
        ("/api/v1/campaigns/no-such-campaign/", {}, 404, "not_found"),
        (f"{BASE}/leaderboard/?round=abc", {}, 400, "invalid"),
    ],
)
def test_what_drf_refuses_is_refused_though_the_body_is_cached(
    any_cache, api, campaign, path, headers, status, code
):
    EntryFactory(campaign=campaign)
    for warm in (f"{BASE}/", f"{BASE}/entries/", f"{BASE}/leaderboard/"):
        assert api.get(warm).status_code == 200
    for _twice in (1, 2):
        response = api.get(path, **headers)
        assert response.status_code == status, response.content
        assert response.json()["error"]["code"] == code


def test_a_cached_share_link_redirects_as_the_one_that_looked_it_up(
    any_cache, api, campaign, dispatched
):
    entry = EntryFactory(campaign=campaign)
    looked_up = api.get(f"/s/{entry.share_code}", HTTP_X_VISITOR_ID="visitor-first")
    # The first follow keeps where the code leads, the second its target under the version.
    api.get(f"/s/{entry.share_code}", HTTP_X_VISITOR_ID="visitor-first")
    dispatched.clear()
    kept = api.get(f"/s/{entry.share_code.lower()}", HTTP_X_VISITOR_ID="visitor-second")
    assert dispatched == []
    assert (kept.status_code, kept["Location"]) == (302, looked_up["Location"])
    assert kept["Location"].endswith(f"/e/{entry.pk}/?ref={entry.share_code}")
    assert api.get("/s/NOSUCHCODE1").status_code == 404
    visits_flush()
    clicks = Visit.objects.filter(kind=Visit.Kind.SHARE_CLICK, entry=entry)
    assert sorted(clicks.values_list("visitor_id", flat=True)) == [
        "visitor-first",
        "visitor-second",
    ]


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_view_answered_from_the_cache_lets_anyone_read_unthrottled():
    """A hit skips DRF's authentication, permission and throttle checks: that is only
    right for reads that have none, so every such view must have none on GET."""
    from django.test import RequestFactory
    from rest_framework.permissions import AllowAny

    import voting.api.traffic  # noqa: F401  (the share link's view)
    import voting.api.views  # noqa: F401
    from voting.api.caching import CachedReadView

    views = [
        v
        for v in _subclasses(CachedReadView)
        if v.__module__.startswith("voting.") and issubclass(v, APIView)
    ]
    assert len(views) >= 6
    for view_class in views:
        view = view_class()
        view.request = RequestFactory().get("/")
        view.request = view.initialize_request(view.request)
        assert view.get_authenticators() == [], view_class
        assert all(isinstance(p, AllowAny) for p in view.get_permissions()), view_class
        assert view.get_throttles() == [], view_class
