"""The managers' home: the admin site itself (its index lists what needs attention) and
the panels of the pilot and campaign pages.

Above ``reports`` and below the student site (docs/architecture.md): it reads campaigns,
entries, fraud flags, prizes, imports and reports, and nothing imports it but settings.
"""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    default = True
    name = "home"
    verbose_name = _("Home")


class OpsAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with our site as ``admin.site`` (the documented way:
    https://docs.djangoproject.com/en/5.2/ref/contrib/admin/#overriding-the-default-admin-site).
    Every ``admin.register`` and ``admin.site`` of the apps below reaches it unchanged."""

    default = False
    default_site = "home.admin.OpsAdminSite"
