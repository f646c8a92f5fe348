"""Counts the vote endpoint's responses by status in each gunicorn worker, and writes
the counts to ``VAR_DIR/vote-responses-<pid>.json`` when the worker exits.

wrk stops reading when its time is up, so the requests then in flight are answered (and
their votes stored) without wrk counting them; the server's own count makes the check
"stored valid votes = 201 responses" exact. An increment under a lock per request.
"""

import atexit
import json
import os
import re
import threading
from collections import Counter
from pathlib import Path

from django.conf import settings

_VOTE = re.compile(r"/api/v1/campaigns/[^/]+/entries/\d+/votes/")
_lock = threading.Lock()
_counts: Counter[str] = Counter()


@atexit.register
def _write() -> None:
    # The bench process itself also counts (its test-client votes) but exits after its
    # temporary VAR_DIR is gone.
    folder = Path(settings.VAR_DIR)
    if _counts and folder.is_dir():
        (folder / f"vote-responses-{os.getpid()}.json").write_text(json.dumps(_counts))


def count_vote_responses(get_response):
    def middleware(request):
        response = get_response(request)
        if request.method == "POST" and _VOTE.fullmatch(request.path_info):
            with _lock:
                _counts[str(response.status_code)] += 1
        return response

    return middleware
