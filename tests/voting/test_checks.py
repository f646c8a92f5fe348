"""A production process warns at start-up when its cache is per process: gunicorn runs
no system checks, and each worker would count the throttles on its own."""

import os
import subprocess
import sys

import pytest

from tests.celery_worker import REPO_ROOT

pytestmark = pytest.mark.slow


def _start(tmp_path, **env) -> str:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_SECRET_KEY": "start-up-test-only",
        "VAR_DIR": str(tmp_path),
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_a_production_process_warns_about_a_per_process_cache(tmp_path):
    output = _start(tmp_path, DJANGO_DEBUG="0", CACHE_URL="locmemcache://")
    assert "WARNING voting.checks The default cache is per process" in output
    assert "voting.W002" in output


def test_no_warning_with_a_shared_cache_or_in_development(tmp_path):
    shared = _start(tmp_path, DJANGO_DEBUG="0", CACHE_URL="redis://127.0.0.1:1/1")
    assert "voting.W002" not in shared
    assert "voting.W002" not in _start(tmp_path, DJANGO_DEBUG="1", CACHE_URL="locmemcache://")
