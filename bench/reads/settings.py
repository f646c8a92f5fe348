"""Settings of the gunicorn that bench/bench_reads.py starts: the vote benchmark's
(production settings, the bare DRF view at /bench/bare/). The script sets
``NUM_PROXIES=1``, so that each simulated visitor comes from an address of its own (wrk
sends ``X-Forwarded-For``) and the per-IP visitor cap works as for real traffic."""

from bench.votes.settings import *  # noqa: F403
from bench.votes.settings import MIDDLEWARE

# The server's own count of answered reads, for the exact "visits recorded = visitors
# served" check (wrk does not count the requests in flight when its time is up).
MIDDLEWARE = ["bench.reads.middleware.count_read_responses", *MIDDLEWARE]
