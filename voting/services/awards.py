"""Prize awards: created from a round's final standing, then marked by staff.

``prize_awards_sync`` makes a round's awards match ``round_winners`` (the final standing
in force, with forfeits passed on); it is safe to run again and after every change that
moves a winner: the close, a revised standing, a forfeit, a disqualification. Staff mark
an award contacted, handed out or forfeited (``prize_award_mark``), each with who and
when and an audit row; a new winner gets an SMS through ``core.sms`` (template
``PRIZE_AWARD_SMS_TEMPLATE``), sent by a task after commit.
"""

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from campaigns.audit import audit_record
from campaigns.models import Prize, Round
from core.errors import DomainError
from core.sms import sms_send
from voting.models import PrizeAward
from voting.selectors.contest import round_winners

logger = logging.getLogger(__name__)
State = PrizeAward.State

# Which state each mark may leave from: handed out is the end of the road (the prize is
# gone), forfeited and revoked are closed.
TRANSITIONS = {
    State.CONTACTED: (State.AWARDED,),
    State.HANDED_OUT: (State.AWARDED, State.CONTACTED),
    State.FORFEITED: (State.AWARDED, State.CONTACTED),
}


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def prize_awards_sync(*, round_id: int, actor: Any = None, reason: str = "") -> list[PrizeAward]:
    """Award the round's prizes as its final standing in force says; returns the awards
    created. Nothing happens before the round has a final standing.

    An award whose entry still wins the same prize is kept (its rank follows the
    standing); one the standing no longer gives is *revoked*, unless it was already
    handed out: that prize is gone and its cost real, so it stays, and the rightful
    winner gets one too.
    """
    result = round_winners(round_id=round_id)
    if not result["final"]:
        return []
    round_ = Round.objects.get(pk=round_id)
    now = timezone.now()
    note = reason.strip() or gettext("The final standing changed.")
    created: list[PrizeAward] = []
    revoked: list[int] = []
    with transaction.atomic():
        live = list(
            PrizeAward.objects.select_for_update()
            .filter(round_id=round_id, state__in=PrizeAward.LIVE)
            .order_by("pk")
        )
        wanted = {(w["entry_id"], w["prize_id"]): w for w in result["winners"]}
        for award in live:
            winner = wanted.pop((award.entry_id, award.prize_id), None)
            if winner is not None:
                if (award.rank, award.standing_id) != (winner["rank"], result["snapshot_id"]):
                    PrizeAward.objects.filter(pk=award.pk).update(
                        rank=winner["rank"], standing_id=result["snapshot_id"], updated_at=now
                    )
            elif award.state != State.HANDED_OUT:
                PrizeAward.objects.filter(pk=award.pk, state=award.state).update(
                    state=State.REVOKED,
                    closed_at=now,
                    closed_by=_user(actor),
                    note=note,
                    updated_at=now,
                )
                revoked.append(award.pk)
        prizes = Prize.objects.in_bulk([prize_id for _, prize_id in wanted])
        for (entry_id, prize_id), winner in wanted.items():
            prize = prizes[prize_id]
            replaces = None
            if "replaces" in winner:
                replaces = (
                    PrizeAward.objects.filter(
                        round_id=round_id,
                        entry_id=winner["replaces"],
                        prize_id=prize_id,
                        state=State.FORFEITED,
                    )
                    .order_by("-closed_at", "-pk")
                    .first()
                )
            try:
                with transaction.atomic():
                    award = PrizeAward.objects.create(
                        campaign_id=round_.campaign_id,
                        round_id=round_id,
                        entry_id=entry_id,
                        prize=prize,
                        standing_id=result["snapshot_id"],
                        rank=winner["rank"],
                        unit_cost=prize.unit_cost,
                        quantity=prize.quantity,
                        awarded_at=now,
                        replaces=replaces,
                    )
            except IntegrityError:
                continue  # a concurrent sync of the same round awarded it first
            created.append(award)
        if created or revoked:
            audit_record(
                actor=actor,
                action="prize_awards.sync",
                target=round_.campaign,
                reason=reason,
                data={
                    "round": round_id,
                    "standing_revision": result["revision"],
                    "awarded": [a.pk for a in created],
                    "revoked": revoked,
                },
            )
        prize_awards_notify_request(award_ids=[a.pk for a in created])
    return created


def prize_awards_sync_campaign(
    *, campaign_id: int, actor: Any = None, reason: str = ""
) -> list[PrizeAward]:
    created = []
    for round_id in Round.objects.filter(campaign_id=campaign_id).values_list("pk", flat=True):
        created.extend(prize_awards_sync(round_id=round_id, actor=actor, reason=reason))
    return created


def prize_award_mark(*, award_id: int, state: str, actor: Any, note: str = "") -> PrizeAward:
    """Record that a winner was contacted, got their prize, or forfeited it (``note``
    says why, required). A forfeit passes the prize to the next alternate at once.
    Raises ``DomainError`` for a move the award's state does not allow."""
    if state not in TRANSITIONS:
        raise DomainError(gettext("Unknown prize award state."))
    note = note.strip()
    if state == State.FORFEITED and not note:
        raise DomainError(gettext("Say why the prize is forfeited."))
    now = timezone.now()
    stamp = {
        State.CONTACTED: {"contacted_at": now, "contacted_by": _user(actor)},
        State.HANDED_OUT: {"handed_out_at": now, "handed_out_by": _user(actor)},
        State.FORFEITED: {"closed_at": now, "closed_by": _user(actor)},
    }[state]
    with transaction.atomic():
        award = (
            PrizeAward.objects.select_for_update()
            .select_related("campaign__pilot")
            .get(pk=award_id)
        )
        # Conditional on the state read: two staff members marking one award at once
        # move it once.
        moved = PrizeAward.objects.filter(pk=award.pk, state__in=TRANSITIONS[state]).update(
            state=state, note=note or award.note, updated_at=now, **stamp
        )
        if not moved:
            raise DomainError(
                gettext("This prize award is %(state)s: it cannot be marked %(new)s.")
                % {"state": award.get_state_display(), "new": State(state).label}
            )
        audit_record(
            actor=actor,
            action=f"prize_award.{state}",
            target=award.campaign,
            reason=note,
            data={"award": award.pk, "entry": award.entry_id, "prize": award.prize_id},
        )
        if state == State.FORFEITED:
            prize_awards_sync(round_id=award.round_id, actor=actor, reason=note)
    award.refresh_from_db()
    return award


def prize_awards_notify_request(*, award_ids: list[int]) -> None:
    """Tell new winners by SMS, from a worker, once this transaction commits."""
    # Imported here: the tasks import this module at their top (docs/architecture.md).
    from voting.tasks.awards import prize_award_notify_task

    for award_id in award_ids:
        transaction.on_commit(lambda pk=award_id: prize_award_notify_task.delay(pk))


class _Fields(dict):
    def __missing__(self, key: str) -> str:  # an unknown {field} in the template stays as is
        return "{" + key + "}"


def prize_award_notify(*, award_id: int) -> bool:
    """Send the winner of a live award the prize SMS, once; returns whether it was sent.
    An entry without a voter account (entered by an ambassador) has no phone: staff
    contact that winner themselves."""
    award = (
        PrizeAward.objects.select_related("entry__voter", "prize", "campaign")
        .filter(pk=award_id)
        .first()
    )
    if award is None or award.notified_at or award.state not in (State.AWARDED, State.CONTACTED):
        return False
    phone = award.entry.voter.phone if award.entry.voter_id else ""
    if not phone:
        return False
    # Claimed first, so a redelivered task does not text the winner twice.
    if not PrizeAward.objects.filter(pk=award.pk, notified_at__isnull=True).update(
        notified_at=timezone.now()
    ):
        return False
    text = settings.PRIZE_AWARD_SMS_TEMPLATE.format_map(
        _Fields(
            campaign=award.campaign.title,
            entry=award.entry.name,
            prize=award.prize.name,
            rank=award.rank,
        )
    )
    try:
        sms_send(to=phone, code="", text=text)
    except Exception:
        PrizeAward.objects.filter(pk=award.pk).update(notified_at=None)  # let a retry send it
        raise
    return True
