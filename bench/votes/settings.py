"""Settings of the gunicorn that bench/bench_votes.py starts: production settings (DEBUG
off, the same middleware, authentication and vote path) with the benchmark's URLs, and
throttles that do not cap a load generator sending everything from 127.0.0.1."""

import copy
import os

os.environ["DJANGO_DEBUG"] = "0"
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")

from config.settings.base import *  # noqa: E402,F403
from config.settings.base import DATABASES, MIDDLEWARE, REST_FRAMEWORK  # noqa: E402

DEBUG = False
ROOT_URLCONF = "bench.votes.urls"

# Persistent connections: one per gunicorn thread for the whole run. The health check
# (CONN_HEALTH_CHECKS, on in production) stays: its cost is part of every request.
DATABASES["default"]["CONN_MAX_AGE"] = None

REST_FRAMEWORK = copy.deepcopy(REST_FRAMEWORK)
# The per-IP vote throttle would see every request come from 127.0.0.1 (and its history
# list of one key would grow with the run); the per-voter one stays on, raised above the
# few votes each voter casts, so its cache work is still measured.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].update({"vote_ip": None, "vote_voter": "1000/min"})

# The server's own count of vote responses, for the exact "no lost vote" check.
MIDDLEWARE = ["bench.votes.middleware.count_vote_responses", *MIDDLEWARE]
