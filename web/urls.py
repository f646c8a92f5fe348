"""URLs of the student site (README "Student site"), included at the root by
config/urls.py. Path parameters take any text; the selectors answer the friendly 404
page for values that cannot exist."""

from django.urls import path

from web.views import errors, pages, sign_in, submit, votes

app_name = "web"

urlpatterns = [
    path("", pages.home, name="home"),
    path("c/<str:slug>/", pages.campaign_detail, name="campaign"),
    path("c/<str:slug>/e/<int:entry_id>/", pages.entry_detail, name="entry"),
    path("c/<str:slug>/e/<int:entry_id>/vote/", votes.vote, name="vote"),
    path("c/<str:slug>/leaderboard/", pages.leaderboard, name="leaderboard"),
    path("c/<str:slug>/submit/", submit.submit, name="submit"),
    path("login/", sign_in.sign_in, name="login"),
    path("logout/", sign_in.sign_out, name="logout"),
    path("me/votes/", sign_in.my_votes, name="my-votes"),
]

# Outside the "web" namespace: the short link printed on posters, reversed by name
# (voting/services/photos.py share_url).
share_urlpatterns = [
    path("s/<str:share_code>", errors.share_redirect, name="share-redirect"),
]
