from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "campaigns"
    verbose_name = _("Campaign management")

    def ready(self) -> None:
        from campaigns.roles import roles_sync

        # Once per migrate (dispatch_uid), after Django's own create_permissions.
        post_migrate.connect(roles_sync, dispatch_uid="campaigns.roles_sync")
