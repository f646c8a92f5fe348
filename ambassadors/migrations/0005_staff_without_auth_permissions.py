"""Take every permission of ``auth`` (users, groups, permissions) and the other
framework apps away from the "staff" group: only superusers manage logins and roles.

The staff group of ``0002_roles`` held every permission, ``auth.change_user`` included,
so a staff member could reset a superuser's password or tick ``is_superuser`` on
themselves. From here on the group holds only the permissions of the project's apps
(``campaigns/rules.py: STAFF_APPS``, which ``campaigns/roles.py`` keeps in step after
every migrate); frozen here as they stood when written, since migrations never import
app code. The reverse gives the group back every permission, as ``0002_roles`` did.
"""

from django.db import migrations
from django.db.models import Q

STAFF_APPS = (
    "campaigns",
    "ambassadors",
    "voting",
    "reports",
    "django_celery_beat",
    "django_celery_results",
)
STAFF_WITHHELD = ("add_auditlog", "change_auditlog", "delete_auditlog")


def staff_without_auth(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    staff = Group.objects.filter(name="staff").first()
    if staff is None:
        return
    keep = Permission.objects.filter(content_type__app_label__in=STAFF_APPS).exclude(
        Q(content_type__app_label="campaigns", codename__in=STAFF_WITHHELD)
    )
    staff.permissions.remove(*staff.permissions.exclude(pk__in=keep))


def staff_with_every_permission(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    staff = Group.objects.filter(name="staff").first()
    if staff is not None:
        staff.permissions.set(Permission.objects.all())


class Migration(migrations.Migration):
    dependencies = [("ambassadors", "0004_normalise_ambassador_phones")]

    operations = [migrations.RunPython(staff_without_auth, staff_with_every_permission)]
