"""Check entries' thumbnails and posters every 30 minutes (django-celery-beat: editable
in admin). Thumbnails and posters are drawn by tasks after commit; a task lost with a
killed worker, or media restored without them, is caught here, and readers never see a
broken link meanwhile (the API falls back to the photo, posters are drawn on demand).
"""

from django.db import migrations

TASK = "voting.tasks_photos.entry_media_check"
NAME = "Check entry thumbnails and posters"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_30_minutes, _ = IntervalSchedule.objects.get_or_create(every=30, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "interval": every_30_minutes, "enabled": True}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("voting", "0006_entry_preview"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
