from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from voting.api.urls import share_urlpatterns

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("voting.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # The sign-in challenge's picture (django-simple-captcha), linked from captcha_required.
    path("captcha/", include("captcha.urls")),
    *share_urlpatterns,
]
# Unknown URLs under /api/ and /s/ answer in the API's JSON error envelope.
handler404 = "voting.api.support.page_not_found"
handler500 = "voting.api.support.server_error"
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
