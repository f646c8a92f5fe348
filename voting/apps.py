from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VotingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "voting"
    verbose_name = _("Entries and votes")

    def ready(self) -> None:
        from django.conf import settings
        from django.core import checks
        from PIL import Image

        from voting.checks import check_shared_cache, check_site_url, warn_at_start_up

        checks.register(check_site_url, checks.Tags.urls, deploy=True)
        checks.register(check_shared_cache, checks.Tags.caches, deploy=True)
        warn_at_start_up()

        # Pillow's own decompression-bomb cap (default 89 MP, an error only past twice
        # that) lowered to ours for every image opened in the process; core/images.py
        # also turns the warning into an error and checks the cap itself.
        Image.MAX_IMAGE_PIXELS = settings.PHOTO_MAX_PIXELS
