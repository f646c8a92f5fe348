"""``data_warnings``: numbers of a report that cannot be right as they stand.

Each warning is ``{code, message, params}``: ``code`` is stable (clients and exports key
on it), ``message`` the English sentence, ``params`` its numbers; the report page shows
the message in the reader's language (``warning_text``). docs/metrics.md lists them.
"""

from typing import Any

from django.utils.translation import gettext, gettext_noop

MESSAGES = {
    "participants_exceed_visitors": gettext_noop(
        "%(participants)s participants but only %(visitors)s counted visitors: the "
        "participation rate is left out. A client may be voting without sending a visitor id."
    ),
    "share_signups_exceed_share_visitors": gettext_noop(
        "%(signups)s sign-ups through share links but only %(visitors)s counted share-link "
        "visitors: the share conversion rate is left out."
    ),
    "no_activity_ingested": gettext_noop(
        "No app activity was ever received for the %(new_users)s new users: retention reads "
        "zero because the app backend sent nothing, not because nobody stayed."
    ),
    "no_costs": gettext_noop(
        "No cost is recorded for this campaign (no prize, expense or labour): every cost per "
        "user reads zero."
    ),
    "expense_other_pilot": gettext_noop(
        "%(count)s expenses booked on this campaign name another pilot; they are counted "
        "here. Correct their pilot."
    ),
}


def warning(code: str, **params: Any) -> dict[str, Any]:
    return {"code": code, "message": MESSAGES[code] % params, "params": params}


def warning_text(item: dict[str, Any]) -> str:
    """A stored warning in the reader's language (the English message if unknown)."""
    msgid = MESSAGES.get(item.get("code", ""))
    if msgid is None or "params" not in item:
        return item.get("message", "")
    return gettext(msgid) % item["params"]


def data_warnings(
    *,
    participants: int,
    unique_visitors: int,
    share_signups: int,
    share_visitors: int,
    new_users: int,
    activity_seen: bool,
    costs_recorded: bool,
    expenses_other_pilot: int = 0,
) -> list[dict[str, Any]]:
    found = []
    if participants > unique_visitors:
        found.append(
            warning(
                "participants_exceed_visitors",
                participants=participants,
                visitors=unique_visitors,
            )
        )
    if share_signups > share_visitors:
        found.append(
            warning(
                "share_signups_exceed_share_visitors",
                signups=share_signups,
                visitors=share_visitors,
            )
        )
    if new_users and not activity_seen:
        found.append(warning("no_activity_ingested", new_users=new_users))
    if not costs_recorded:
        found.append(warning("no_costs"))
    if expenses_other_pilot:
        found.append(warning("expense_other_pilot", count=expenses_other_pilot))
    return found
