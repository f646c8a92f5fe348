"""Keep the two role groups in step with the code after every migrate.

The data migration ``ambassadors/0002_roles`` creates the groups on a fresh database, but
models added later (fraud flags, import jobs, ...) bring permissions the groups never
saw. Django creates permissions in ``post_migrate``; this runs right after it, so that
"staff" always holds every permission and "ambassador" exactly ``AMBASSADOR_PERMISSIONS``.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from campaigns.rules import AMBASSADOR_GROUP, AMBASSADOR_PERMISSIONS, OPS_GROUP


def roles_sync(**kwargs) -> None:
    staff, _ = Group.objects.get_or_create(name=OPS_GROUP)
    staff.permissions.set(Permission.objects.all())
    wanted = Q(pk__in=[])
    for model, actions in AMBASSADOR_PERMISSIONS.items():
        app_label, model_name = model.split(".")
        wanted |= Q(
            content_type__app_label=app_label,
            codename__in=[f"{action}_{model_name}" for action in actions],
        )
    ambassador, _ = Group.objects.get_or_create(name=AMBASSADOR_GROUP)
    ambassador.permissions.set(Permission.objects.filter(wanted))
