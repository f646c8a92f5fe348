"""The Celery application (cookiecutter-django layout).

Configuration lives in Django settings under the ``CELERY_`` namespace.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("campus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

if os.environ.get("CELERY_TASK_LEDGER"):  # the soak test's record (config/task_ledger.py)
    from .task_ledger import connect

    connect(os.environ["CELERY_TASK_LEDGER"])
