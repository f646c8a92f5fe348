from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The student site: mobile pages opened from share links and posters in WeChat.

    The top layer: it imports ``voting``, ``campaigns`` and ``core``; nothing below
    imports it. Every write is one of voting's services, the same the API calls.
    """

    name = "web"
    verbose_name = _("Student site")
