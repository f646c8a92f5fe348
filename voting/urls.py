"""URLs of the public API (SPEC "REST API v1"), included under /api/v1/ by config/urls.py.

Path parameters take any text and the selectors answer ``not_found`` for values that
cannot exist, so that every unknown campaign, entry or code gets the JSON envelope.
"""

from django.urls import path

from . import api, api_ingest

app_name = "api-v1"

urlpatterns = [
    path("auth/otp/", api.OtpRequestView.as_view(), name="auth-otp"),
    path("auth/verify/", api.VerifyView.as_view(), name="auth-verify"),
    path("auth/logout/", api.SignOutView.as_view(), name="auth-logout"),
    path("campaigns/", api.CampaignListView.as_view(), name="campaign-list"),
    path("campaigns/<str:slug>/", api.CampaignDetailView.as_view(), name="campaign-detail"),
    path(
        "campaigns/<str:slug>/leaderboard/",
        api.LeaderboardView.as_view(),
        name="campaign-leaderboard",
    ),
    path("campaigns/<str:slug>/entries/", api.EntryListCreateView.as_view(), name="entry-list"),
    path(
        "campaigns/<str:slug>/entries/<int:entry_id>/",
        api.EntryDetailView.as_view(),
        name="entry-detail",
    ),
    path(
        "campaigns/<str:slug>/entries/<int:entry_id>/poster/",
        api.EntryPosterView.as_view(),
        name="entry-poster",
    ),
    path(
        "campaigns/<str:slug>/entries/<int:entry_id>/votes/",
        api.VoteView.as_view(),
        name="entry-vote",
    ),
    path("me/", api.MeView.as_view(), name="me"),
    path("me/votes/", api.MyVotesView.as_view(), name="me-votes"),
    path("ingest/activity/", api_ingest.ActivityIngestView.as_view(), name="ingest-activity"),
]

# Outside /api/v1/: short links printed on posters and pasted into WeChat.
share_urlpatterns = [
    path("s/<str:share_code>", api.ShareRedirectView.as_view(), name="share-redirect"),
]
