"""The verdict of a report, and the number formats of its JSON (docs/metrics.md).

``decide`` turns the cost per retained user and D7 retention into replicate / improve /
stop against the pilot's targets. A verdict is *provisional* while the cohort it rests on
is not mature: the report says so, and the date it matures (``matures_on``), and beat
recomputes the report on that date (``reports.tasks.reports_refresh_matured``).
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext_noop

from campaigns.models import Pilot

CENT = Decimal("0.01")


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def rate(numerator: int, denominator: int) -> float | None:
    """A share from 0 to 1, or None when it cannot be one: nothing to divide by, or more
    in the numerator than the denominator counted (a broken denominator, e.g. a client
    that sends no visitor id). Never clamped: the report's ``data_warnings`` say why."""
    if not denominator or numerator > denominator:
        return None
    return round(numerator / denominator, 4)


def _reason(msgid: str, **params: Any) -> dict[str, Any]:
    return {"msgid": msgid, "params": params}


@dataclass
class Verdict:
    decision: str  # replicate | improve | stop
    # Each reason as a message id with its parameters (``reason_messages`` in the stored
    # report), so the report page shows it in the reader's language; ``reasons`` are the
    # same sentences in English, for the JSON of ``campaign_report`` and the exports.
    messages: list[dict[str, Any]]
    numbers: dict[str, Any]
    provisional: bool = False
    matures_on: date | None = None

    @property
    def reasons(self) -> list[str]:
        return [m["msgid"] % m["params"] for m in self.messages]

    def as_data(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "reasons": self.reasons,
            "provisional": self.provisional,
            "matures_on": self.matures_on.isoformat() if self.matures_on else None,
            "reason_messages": self.messages,
            "numbers": self.numbers,
        }


def decide(
    *,
    pilot: Pilot,
    new_users: int,
    cost_per_retained: Decimal | None,
    basis: str,
    d7_rate: float | None,
    provisional: bool = False,
    matures_on: date | None = None,
    cohort: int | None = None,
) -> Verdict:
    """replicate when both targets are met; stop when nothing retained or a target is
    missed by half or more; improve otherwise (including a missing target).

    ``provisional``/``matures_on``: the cohort behind ``basis`` (``cohort`` of the
    ``new_users``) is not complete yet, so the decision may still change; the first
    reason says so."""
    target_cost = pilot.target_max_cost_per_retained_user
    target_d7 = pilot.target_min_d7_retention
    numbers = {
        "cost_per_retained_user": money(cost_per_retained),
        "cost_basis": basis,
        "target_max_cost_per_retained_user": money(target_cost),
        "d7_retention": d7_rate,
        "target_min_d7_retention": None if target_d7 is None else float(target_d7),
        "new_users": new_users,
        "cohort": cohort,
    }
    reasons: list[dict[str, Any]] = []
    if provisional:
        reasons.append(
            _reason(
                gettext_noop(
                    "Provisional: rests on %(basis)s of %(cohort)s of %(new_users)s new users; "
                    "final on %(date)s."
                ),
                basis=basis,
                cohort=cohort if cohort is not None else 0,
                new_users=new_users,
                date=matures_on.isoformat() if matures_on else "—",
            )
        )

    def verdict(decision: str) -> Verdict:
        return Verdict(decision, reasons, numbers, provisional, matures_on)

    if new_users == 0:
        reasons.append(_reason(gettext_noop("The campaign brought no new users.")))
        return verdict("stop")
    if cost_per_retained is None:
        reasons.append(_reason(gettext_noop("No new user was retained (%(basis)s)."), basis=basis))
        return verdict("stop")

    cost_ok = target_cost is not None and cost_per_retained <= target_cost
    if target_cost is None:
        reasons.append(_reason(gettext_noop("No cost target is set for the pilot.")))
    else:
        reasons.append(
            _reason(
                gettext_noop(
                    "Cost per retained user (%(basis)s) ¥%(cost)s %(compared)s target ¥%(target)s."
                ),
                basis=basis,
                cost=str(money(cost_per_retained)),
                compared="≤" if cost_ok else ">",
                target=str(money(target_cost)),
            )
        )
    d7_ok = target_d7 is not None and d7_rate is not None and d7_rate >= float(target_d7)
    if target_d7 is None:
        reasons.append(_reason(gettext_noop("No D7 retention target is set for the pilot.")))
    elif d7_rate is None:
        reasons.append(_reason(gettext_noop("D7 retention is not measurable yet.")))
    else:
        reasons.append(
            _reason(
                gettext_noop("D7 retention %(rate)s %(compared)s target %(target)s."),
                rate=f"{d7_rate:.1%}",
                compared="≥" if d7_ok else "<",
                target=f"{float(target_d7):.1%}",
            )
        )
    if cost_ok and d7_ok:
        return verdict("replicate")
    far_too_costly = target_cost is not None and cost_per_retained > 2 * target_cost
    far_too_leaky = target_d7 is not None and d7_rate is not None and d7_rate < float(target_d7) / 2
    if far_too_costly or far_too_leaky:
        return verdict("stop")
    return verdict("improve")
