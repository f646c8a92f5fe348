"""Settings for the test suite: the same stack, with a throw-away broker folder.

``DATABASE_URL`` and ``CELERY_BROKER_URL`` still choose SQLite/filesystem (default) or
PostgreSQL/Redis, so CI runs the same tests on both.
"""

import os
from pathlib import Path

os.environ.setdefault("DJANGO_DEBUG", "1")
# A broker folder of its own, so a running `make run` never shares queues with tests.
# Under VAR_DIR like the test database, so a checkout can run two suites side by side
# (e.g. VAR_DIR=/tmp/other make test) without their workers eating each other's tasks.
_var_dir = Path(os.environ.get("VAR_DIR") or Path(__file__).resolve().parents[2] / "var")
os.environ.setdefault("CELERY_FS_BROKER_DIR", str(_var_dir / "test-broker"))
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")
# The test server and the tests' Celery workers share one cache, as web and worker do.
os.environ.setdefault("CACHE_URL", f"filecache://{_var_dir / 'test-cache'}?max_entries=20000")

from config.settings.base import *  # noqa: E402,F403
from config.settings.base import VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = VAR_DIR / "test-media"
PRIVATE_MEDIA_ROOT = VAR_DIR / "test-private"
SENDFILE_ROOT = str(PRIVATE_MEDIA_ROOT)
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False

# For the tests that kill workers (tests/reports/test_report_worker_kill.py and others),
# set in the environment of the worker processes they start; unset (the defaults)
# everywhere else.
# Seconds report_generate sleeps after each progress update, so a test can kill mid-report.
REPORT_TEST_PROGRESS_DELAY_SECONDS = float(
    os.environ.get("REPORT_TEST_PROGRESS_DELAY_SECONDS") or 0
)
# Seconds import_job_execute pauses after its first progress update, for the same reason.
IMPORT_TEST_PAUSE_SECONDS = float(os.environ.get("IMPORT_TEST_PAUSE_SECONDS") or 0)
# Seconds campaign_close_with_report pauses between closing and requesting the report.
CAMPAIGN_CLOSE_TEST_DELAY_SECONDS = float(os.environ.get("CAMPAIGN_CLOSE_TEST_DELAY_SECONDS") or 0)
# Redis only: a message a killed worker held returns after this many seconds instead of
# the hour of the default, and the worker looks for such messages every second.
_visibility_timeout = os.environ.get("CELERY_TEST_VISIBILITY_TIMEOUT")
if _visibility_timeout and CELERY_BROKER_URL.startswith(("redis://", "rediss://")):  # noqa: F405
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(_visibility_timeout),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
