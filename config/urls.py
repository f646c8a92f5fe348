from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.negotiation import DefaultContentNegotiation

from campaigns.views import private_file
from web.urls import share_urlpatterns

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("voting.api.urls")),
    # DRF's own negotiation: /api/schema/?format=json (the API's ignores ?format=).
    path(
        "api/schema/",
        SpectacularAPIView.as_view(content_negotiation_class=DefaultContentNegotiation),
        name="schema",
    ),
    # The split view serves Swagger UI's set-up script as a file of its own: the
    # Content-Security-Policy runs no inline script (config/settings/base.py).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # Private files, after a permission check (campaigns/views.py, docs/files.md).
    path(
        "files/<str:label>/<int:pk>/<str:field>/<str:name>",
        private_file,
        name="private-file",
    ),
    # The sign-in challenge's picture (django-simple-captcha), linked from captcha_required.
    path("captcha/", include("captcha.urls")),
    *share_urlpatterns,
    # The student site (web/urls.py), at the root: "/" lists the open campaigns, which
    # is also where the admin's "View site" link (AdminSite.site_url) leads.
    path("", include("web.urls")),
]
# Unknown URLs under /api/ answer in the API's JSON error envelope, elsewhere the site's
# page in the reader's language.
handler404 = "web.views.errors.page_not_found"
handler500 = "web.views.errors.server_error"
if settings.SERVE_MEDIA:
    # Development and tests only (a live server's pages show their photos); production's
    # proxy serves MEDIA_ROOT. The folder is read per request: tests move MEDIA_ROOT.
    def _media(request, path):
        return serve(request, path, document_root=settings.MEDIA_ROOT)

    urlpatterns += [re_path(r"^media/(?P<path>.*)$", _media)]
