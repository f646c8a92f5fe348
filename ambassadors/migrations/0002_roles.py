"""Create the two roles as groups: "staff" (everything) and "ambassador" (own school).

The ambassador's model permissions are frozen here as they stood when written (migrations
never import app code); object-level scoping lives in campaigns/rules.py.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AMBASSADOR_PERMISSIONS = {
    "campaigns.school": ("view",),
    "campaigns.pilot": ("view",),
    "campaigns.campaign": ("view",),
    "campaigns.round": ("view",),
    "campaigns.prize": ("view",),
    "campaigns.expense": ("view", "add", "change"),
    "ambassadors.ambassador": ("view", "add", "change"),
    "ambassadors.worklog": ("view", "add", "change", "delete"),
    "voting.entry": ("view", "add", "change"),
    "voting.leaderboardsnapshot": ("view",),
    "reports.report": ("view",),
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); create them
    # now so the groups can hold them on a fresh database.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    staff, _ = Group.objects.get_or_create(name="staff")
    staff.permissions.set(Permission.objects.all())
    ambassador, _ = Group.objects.get_or_create(name="ambassador")
    wanted = [
        Permission.objects.get(
            content_type__app_label=model.split(".")[0],
            codename=f"{action}_{model.split('.')[1]}",
        )
        for model, actions in AMBASSADOR_PERMISSIONS.items()
        for action in actions
    ]
    ambassador.permissions.set(wanted)


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["staff", "ambassador"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ambassadors", "0001_initial"),
        ("campaigns", "0001_initial"),
        ("voting", "0001_initial"),
        ("reports", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("django_celery_results", "0014_alter_taskresult_status"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
