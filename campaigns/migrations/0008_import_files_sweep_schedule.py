"""Delete expired import previews and finished jobs' parsed sheets every hour
(django-celery-beat: editable in admin; campaigns/rosters/cleanup.py)."""

from django.db import migrations

TASK = "campaigns.tasks.import_files_sweep"
NAME = "Delete expired import previews and parsed sheets"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_hour, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "interval": every_hour, "enabled": True}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0007_move_private_files"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
