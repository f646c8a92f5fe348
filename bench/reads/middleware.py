"""Counts, in each gunicorn worker, the answered reads that record a visit (by case
and status), and writes the counts to ``VAR_DIR/read-responses-<pid>.json`` when the
worker exits: bench/bench_reads.py compares them with the visits stored."""

import atexit
import json
import os
import threading
from collections import Counter
from pathlib import Path

from django.conf import settings

_lock = threading.Lock()
_counts: dict[str, Counter[str]] = {}


@atexit.register
def _write() -> None:
    folder = Path(settings.VAR_DIR)
    if _counts and folder.is_dir():
        (folder / f"read-responses-{os.getpid()}.json").write_text(json.dumps(_counts))


def count_read_responses(get_response):
    def middleware(request):
        response = get_response(request)
        # wrk names each visitor bench-<case>-<thread>-<n> (bench/reads/load.lua).
        visitor = request.headers.get("X-Visitor-Id", "")
        case = visitor.split("-")[1] if visitor.startswith("bench-") else "other"
        with _lock:
            _counts.setdefault(case, Counter())[str(response.status_code)] += 1
        return response

    return middleware
