"""Keep the two role groups in step with the code after every migrate.

The data migration ``ambassadors/0002_roles`` creates the groups on a fresh database, but
models added later (fraud flags, import jobs, ...) bring permissions the groups never
saw. Django creates permissions in ``post_migrate``; this runs right after it, so that
"staff" always holds exactly the permissions of ``STAFF_APPS`` (less ``STAFF_WITHHELD``,
and never one of ``auth``) and "ambassador" exactly ``AMBASSADOR_PERMISSIONS``.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from campaigns.rules import (
    AMBASSADOR_GROUP,
    AMBASSADOR_PERMISSIONS,
    OPS_GROUP,
    STAFF_APPS,
    STAFF_WITHHELD,
)


def staff_permissions():
    """The staff role's permissions: every one of ``STAFF_APPS`` but ``STAFF_WITHHELD``."""
    withheld = Q(pk__in=[])
    for perm in STAFF_WITHHELD:
        app_label, codename = perm.split(".")
        withheld |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(content_type__app_label__in=STAFF_APPS).exclude(withheld)


def roles_sync(**kwargs) -> None:
    staff, _ = Group.objects.get_or_create(name=OPS_GROUP)
    staff.permissions.set(staff_permissions())
    wanted = Q(pk__in=[])
    for model, actions in AMBASSADOR_PERMISSIONS.items():
        app_label, model_name = model.split(".")
        wanted |= Q(
            content_type__app_label=app_label,
            codename__in=[f"{action}_{model_name}" for action in actions],
        )
    ambassador, _ = Group.objects.get_or_create(name=AMBASSADOR_GROUP)
    ambassador.permissions.set(Permission.objects.filter(wanted))
