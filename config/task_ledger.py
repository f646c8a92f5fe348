"""An append-only record of every task published and run, for the soak test.

Off unless ``CELERY_TASK_LEDGER`` names a file (``bench/soak_embedded.py`` sets it for
the stack it starts): then every process of the app (web, worker, beat) appends one line
per published message (``pub <id> <task>``) and per finished run (``run <id> <task>
<state>``), so the soak can tell a lost task (published, never run to a final state, no
longer in the broker) from one still queued. One short ``os.write`` to a file opened with
``O_APPEND`` per line: lines of concurrent processes do not interleave.
"""

from __future__ import annotations

import os

from celery.signals import after_task_publish, task_postrun


def connect(path: str) -> None:
    def write(line: str) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)

    @after_task_publish.connect(weak=False)
    def published(sender=None, headers=None, **kwargs):
        task_id = (headers or {}).get("id")
        if task_id:  # task messages only (protocol 2 headers)
            write(f"pub {task_id} {sender}")

    @task_postrun.connect(weak=False)
    def ran(sender=None, task_id=None, state=None, **kwargs):
        write(f"run {task_id} {getattr(sender, 'name', sender)} {state}")
