"""The application's URLs plus two endpoints that exist only for the vote benchmark."""

from django.urls import path

from config.urls import handler404, handler500  # noqa: F401
from config.urls import urlpatterns as app_urlpatterns

from .views import BareView, BaselineInsertView

urlpatterns = [
    path("bench/bare/", BareView.as_view()),
    path("bench/baseline/", BaselineInsertView.as_view()),
    *app_urlpatterns,
]
