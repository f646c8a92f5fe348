"""Celery entry points of the voting app, one module per subject.

``autodiscover_tasks()`` imports each app's ``tasks`` module; importing the subject
modules here registers their tasks. Task names (``name=``) are stored in beat's schedule
and in queued messages, so they stay as they are when a module moves.
"""

from voting.tasks import (  # noqa: F401
    awards,
    fraud,
    leaderboards,
    moderation,
    photos,
    sign_in,
    traffic,
)
