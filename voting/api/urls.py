"""URLs of the public API (docs/contract.md "REST API v1"), included under /api/v1/ by
config/urls.py.

Path parameters take any text (ids too) and the views and selectors answer ``not_found``
for values that cannot exist, so that every unknown campaign, entry or code gets the
JSON envelope, in debug mode as well (where Django's own 404 is an HTML page).
"""

from django.urls import path

from voting.api import sign_in, traffic, views

app_name = "api-v1"

urlpatterns = [
    path("auth/otp/", sign_in.OtpRequestView.as_view(), name="auth-otp"),
    path("auth/verify/", sign_in.VerifyView.as_view(), name="auth-verify"),
    path("auth/logout/", sign_in.SignOutView.as_view(), name="auth-logout"),
    path("campaigns/", views.CampaignListView.as_view(), name="campaign-list"),
    path("campaigns/<str:slug>/", views.CampaignDetailView.as_view(), name="campaign-detail"),
    path(
        "campaigns/<str:slug>/leaderboard/",
        views.LeaderboardView.as_view(),
        name="campaign-leaderboard",
    ),
    path("campaigns/<str:slug>/entries/", views.EntryListCreateView.as_view(), name="entry-list"),
    path(
        "campaigns/<str:slug>/entries/<str:entry_id>/",
        views.EntryDetailView.as_view(),
        name="entry-detail",
    ),
    path(
        "campaigns/<str:slug>/entries/<str:entry_id>/poster/",
        views.EntryPosterView.as_view(),
        name="entry-poster",
    ),
    path(
        "campaigns/<str:slug>/entries/<str:entry_id>/votes/",
        views.VoteView.as_view(),
        name="entry-vote",
    ),
    path("me/", views.MeView.as_view(), name="me"),
    path("me/votes/", views.MyVotesView.as_view(), name="me-votes"),
    path("ingest/activity/", traffic.ActivityIngestView.as_view(), name="ingest-activity"),
]

# Outside /api/v1/: short links printed on posters and pasted into WeChat.
share_urlpatterns = [
    path("s/<str:share_code>", traffic.ShareRedirectView.as_view(), name="share-redirect"),
]
