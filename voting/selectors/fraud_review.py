"""What a reviewer reads of a fraud flag: its title and its evidence as sentences.

The scan stores each flag's evidence as JSON with English keys, ids and ISO times
(``voting.services.fraud_detectors``); it stays so, because rescans compare it. This
module renders it in the reader's language (zh-hans or English) through one presenter per
detector kind: entries by name (the entry the votes went to, also for the device and user
agent signals that are not about one entry), voters by masked phone, times in local time
(Asia/Shanghai), counts as sentences. A key a presenter does not know is not shown.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.privacy import mask_phone
from voting.models import Entry, FraudFlag, Voter

Kind = FraudFlag.Kind
Rows = list[tuple[str, str]]


@dataclass(frozen=True)
class Names:
    """Entry names and masked voter phones for the flags on a page, read in two queries."""

    entries: Mapping[int, str]
    voters: Mapping[int, str]

    def entry(self, entry_id: Any) -> str:
        try:
            return self.entries.get(int(entry_id)) or _("entry #%(id)s") % {"id": entry_id}
        except (TypeError, ValueError):
            return "—"


@dataclass(frozen=True)
class FlagView:
    title: str
    entry: str  # the entry the suspect votes went to, as a reviewer reads it
    rows: Rows  # the evidence table: (label, value)


def _entry_ids(flag: FraudFlag) -> set[int]:
    ids = {flag.entry_id} if flag.entry_id else set()
    evidence = flag.evidence or {}
    for key in [*(evidence.get("votes_per_entry") or {}), evidence.get("entry_id")]:
        try:
            ids.add(int(key))
        except (TypeError, ValueError):
            continue
    return ids


def flag_names(flags: Iterable[FraudFlag], *, voters: bool = False) -> Names:
    """The names the flags' evidence refers to: one query for entries and, with
    ``voters``, one for the sample voters' (masked) phones."""
    flags = list(flags)
    entry_ids = set().union(*(_entry_ids(f) for f in flags)) if flags else set()
    entries = dict(Entry.objects.filter(pk__in=entry_ids).values_list("pk", "name"))
    labels: dict[int, str] = {}
    if voters:
        voter_ids = {
            int(v)
            for f in flags
            for v in (f.evidence or {}).get("sample_voter_ids") or []
            if str(v).isdigit()
        }
        labels = {
            pk: mask_phone(phone)
            for pk, phone in Voter.objects.filter(pk__in=voter_ids).values_list("pk", "phone")
        }
    return Names(entries=entries, voters=labels)


# --- Formatting ---------------------------------------------------------------------------


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return timezone.localtime(moment)


def local_time(value: Any) -> str:
    """ "12月1日 21:30" / "December 1 21:30": the scan stores ISO strings."""
    moment = _moment(value)
    if moment is None:
        return "—"
    return f"{formats.date_format(moment, 'MONTH_DAY_FORMAT')} {moment:%H:%M}"


def local_range(start: Any, end: Any) -> str:
    first, last = _moment(start), _moment(end)
    if first is None or last is None:
        return local_time(start or end)
    if first.date() == last.date():
        return f"{local_time(start)}–{last:%H:%M}"
    return f"{local_time(start)} – {local_time(end)}"


def duration(seconds: float) -> str:
    """A span as a reader says it: "2 分钟", "3 小时" (at least a minute)."""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes < 120:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = round(minutes / 60)
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


def _span(start: Any, end: Any) -> str:
    first, last = _moment(start), _moment(end)
    if first is None or last is None:
        return duration(0)
    return duration((last - first).total_seconds())


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _percent(value: Any) -> str:
    try:
        return f"{float(value) * 100:.0f}%"
    except (TypeError, ValueError):
        return "—"


def _minutes(value: Any) -> str:
    return ngettext("%(n)d minute", "%(n)d minutes", _int(value)) % {"n": _int(value)}


def _seconds(value: Any) -> str:
    try:
        return _("%(n)s s") % {"n": f"{float(value):g}"}
    except (TypeError, ValueError):
        return "—"


def _accounts(value: Any) -> str:
    n = _int(value)
    return ngettext("%(n)d account", "%(n)d accounts", n) % {"n": n}


def _votes(value: Any) -> str:
    n = _int(value)
    return ngettext("%(n)d vote", "%(n)d votes", n) % {"n": n}


def voted_entry(flag: FraudFlag, names: Names) -> str:
    """The entry the votes went to: the flag's own, or the one that got most of its
    votes ("孟馨 and 2 other entries" when they were spread)."""
    evidence = flag.evidence or {}
    if flag.entry_id or evidence.get("entry_id"):
        return names.entry(flag.entry_id or evidence.get("entry_id"))
    per_entry = evidence.get("votes_per_entry") or {}
    if not per_entry:
        return "—"
    ranked = sorted(per_entry.items(), key=lambda item: (-_int(item[1]), _int(item[0])))
    top = names.entry(ranked[0][0])
    others = len(ranked) - 1
    if not others:
        return top
    return ngettext(
        "%(entry)s and %(n)d other entry", "%(entry)s and %(n)d other entries", others
    ) % {"entry": top, "n": others}


# --- One presenter per kind: (title, rows) ------------------------------------------------


def _device(ev: dict, entry: str) -> tuple[str, Rows]:
    n = _int(ev.get("voters"))
    title = ngettext(
        "%(n)d account voted for %(entry)s from one device within %(span)s",
        "%(n)d accounts voted for %(entry)s from one device within %(span)s",
        n,
    ) % {"n": n, "entry": entry, "span": _span(ev.get("first_vote_at"), ev.get("last_vote_at"))}
    window = _minutes(ev.get("window_minutes"))
    return title, [
        (_("Device id"), str(ev.get("device_id", "—"))),
        (
            _("Most accounts within %(window)s") % {"window": window},
            _accounts(ev.get("max_voters_in_window")),
        ),
        (_("Flagged from"), _accounts(ev.get("min_voters"))),
    ]


def _user_agent(ev: dict, entry: str) -> tuple[str, Rows]:
    n = _int(ev.get("voters"))
    title = ngettext(
        "%(n)d new account voted for %(entry)s from one IP address with one browser "
        "within %(span)s",
        "%(n)d new accounts voted for %(entry)s from one IP address with one browser "
        "within %(span)s",
        n,
    ) % {"n": n, "entry": entry, "span": _span(ev.get("first_vote_at"), ev.get("last_vote_at"))}
    window = _minutes(ev.get("window_minutes"))
    return title, [
        (_("Browser (user agent)"), str(ev.get("user_agent", "—"))),
        (_("IP address"), str(ev.get("ip", "—"))),
        (
            _("Most accounts within %(window)s") % {"window": window},
            _accounts(ev.get("max_voters_in_window")),
        ),
        (_("Usual for this browser and IP"), _votes(ev.get("ordinary_votes_per_window"))),
        (_("Flagged from"), _votes(ev.get("threshold"))),
        (
            _("Accounts created"),
            local_range(ev.get("accounts_created_from"), ev.get("accounts_created_to")),
        ),
    ]


def _fast(ev: dict, entry: str) -> tuple[str, Rows]:
    n = _int(ev.get("voters"))
    title = ngettext(
        "%(n)d account voted for %(entry)s at most %(seconds)s after signing up",
        "%(n)d accounts voted for %(entry)s at most %(seconds)s after signing up",
        n,
    ) % {"n": n, "entry": entry, "seconds": _seconds(ev.get("seconds_from_sign_up_max"))}
    window = _minutes(ev.get("window_minutes"))
    return title, [
        (_("Slowest vote after sign-up"), _seconds(ev.get("seconds_from_sign_up_max"))),
        (_("Typical (median) vote after sign-up"), _seconds(ev.get("seconds_from_sign_up_median"))),
        (_("Counted as fast up to"), _seconds(ev.get("fast_vote_seconds"))),
        (
            _("Most accounts within %(window)s") % {"window": window},
            _accounts(ev.get("max_voters_in_window")),
        ),
    ]


def _burst(ev: dict, entry: str) -> tuple[str, Rows]:
    votes = _int(ev.get("max_votes_in_window"))
    title = ngettext(
        "%(entry)s got %(n)d vote within %(window)s (%(when)s); usually %(usual)s",
        "%(entry)s got %(n)d votes within %(window)s (%(when)s); usually %(usual)s",
        votes,
    ) % {
        "entry": entry,
        "n": votes,
        "window": _minutes(ev.get("window_minutes")),
        "when": local_range(ev.get("window_start"), ev.get("window_end")),
        "usual": _votes(ev.get("ordinary_votes_per_window")),
    }
    window = _minutes(ev.get("window_minutes"))
    return title, [
        (_("Burst"), local_range(ev.get("window_start"), ev.get("window_end"))),
        (_("Most votes within %(window)s") % {"window": window}, _votes(votes)),
        (
            _("Usual votes within %(window)s") % {"window": window},
            _votes(ev.get("ordinary_votes_per_window")),
        ),
        (_("Flagged from"), _votes(ev.get("threshold"))),
        (
            _("Voters who signed up within the hour before"),
            _accounts(ev.get("voters_signed_up_within_hour")),
        ),
    ]


def _never_active(ev: dict, entry: str) -> tuple[str, Rows]:
    n, total = _int(ev.get("never_active")), _int(ev.get("new_voters"))
    title = ngettext(
        "%(n)d of the %(total)d new voters for %(entry)s never used the app afterwards "
        "(%(share)s; elsewhere in the campaign %(elsewhere)s)",
        "%(n)d of the %(total)d new voters for %(entry)s never used the app afterwards "
        "(%(share)s; elsewhere in the campaign %(elsewhere)s)",
        n,
    ) % {
        "n": n,
        "total": total,
        "entry": entry,
        "share": _percent(ev.get("share")),
        "elsewhere": _percent(ev.get("campaign_share_elsewhere")),
    }
    after = _int(ev.get("after_days"))
    return title, [
        (_("New voters"), _accounts(total)),
        (_("Never active in the app afterwards"), _accounts(n)),
        (_("Share"), _percent(ev.get("share"))),
        (
            _("Share among the campaign's other new voters"),
            _percent(ev.get("campaign_share_elsewhere")),
        ),
        (_("Votes judged up to"), local_day(ev.get("judged_votes_through"))),
        (_("Waiting period"), ngettext("%(n)d day", "%(n)d days", after) % {"n": after}),
    ]


def local_day(value: Any) -> str:
    moment = _moment(value)
    return formats.date_format(moment, "MONTH_DAY_FORMAT") if moment else "—"


def _share_ring(ev: dict, entry: str) -> tuple[str, Rows]:
    n = _int(ev.get("ring_accounts"))
    span = _span(ev.get("accounts_created_from"), ev.get("accounts_created_to"))
    title = ngettext(
        "%(n)d account signed up through the share link of %(entry)s within %(span)s and "
        "voted for it alone",
        "%(n)d accounts signed up through the share link of %(entry)s within %(span)s and "
        "voted for it alone",
        n,
    ) % {"n": n, "entry": entry, "span": span}
    window = _minutes(ev.get("window_minutes"))
    clicks = _int(ev.get("share_link_visitors_then"))
    return title, [
        (_("Accounts in the ring"), _accounts(n)),
        (
            _("Most sign-ups within %(window)s") % {"window": window},
            _accounts(ev.get("max_sign_ups_in_window")),
        ),
        (
            _("Accounts created"),
            local_range(ev.get("accounts_created_from"), ev.get("accounts_created_to")),
        ),
        (
            _("Visitors of the share link then"),
            ngettext("%(n)d visitor", "%(n)d visitors", clicks) % {"n": clicks},
        ),
    ]


PRESENTERS: dict[str, Callable[[dict, str], tuple[str, Rows]]] = {
    Kind.DEVICE_CLUSTER: _device,
    Kind.USER_AGENT_CLUSTER: _user_agent,
    Kind.FAST_NEW_ACCOUNT: _fast,
    Kind.ENTRY_BURST: _burst,
    Kind.NEVER_ACTIVE: _never_active,
    Kind.SHARE_RING: _share_ring,
}


def _common_rows(ev: dict, names: Names) -> Rows:
    per_entry = sorted(
        (ev.get("votes_per_entry") or {}).items(), key=lambda item: (-_int(item[1]), item[0])
    )
    samples = [names.voters.get(_int(v)) or f"#{v}" for v in ev.get("sample_voter_ids") or []]
    return [
        (_("Voters"), _accounts(ev.get("voters"))),
        (_("Suspect votes"), _votes(ev.get("votes"))),
        (_("Votes cast"), local_range(ev.get("first_vote_at"), ev.get("last_vote_at"))),
        (
            _("Votes per entry"),
            "; ".join(f"{names.entry(pk)}: {_votes(n)}" for pk, n in per_entry) or "—",
        ),
        (_("Some of the voters"), ", ".join(samples) or "—"),
    ]


def flag_present(flag: FraudFlag, names: Names) -> FlagView:
    """The flag's title and evidence table in the active language."""
    evidence = flag.evidence or {}
    entry = voted_entry(flag, names)
    presenter = PRESENTERS.get(flag.kind)
    if presenter is None:  # a kind this module does not know yet
        return FlagView(
            title=str(flag.get_kind_display()), entry=entry, rows=_common_rows(evidence, names)
        )
    title, rows = presenter(evidence, entry)
    return FlagView(title=title, entry=entry, rows=[*rows, *_common_rows(evidence, names)])
