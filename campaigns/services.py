"""Writes of the campaigns app."""

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from campaigns.audit import audit_record
from campaigns.models import Campaign, Pilot, Prize, Round, School
from campaigns.selectors import campaign_slug_free

# The vote policy: frozen once voting opens (docs/vote-policy.md).
POLICY_FIELDS = ("votes_per_day", "votes_per_entry_per_day", "school_voters_only")
# Limits that may only be raised once voting has opened: lowering one would leave valid
# votes above it.
LIMIT_FIELDS = ("votes_per_day", "votes_per_entry_per_day")
WINDOW_FIELDS = ("submission_starts_at", "submission_ends_at", "voting_starts_at", "voting_ends_at")
# What needs a reason, and leaves an audit row, once voting has opened.
AUDITED_FIELDS = (*POLICY_FIELDS, *WINDOW_FIELDS, "status")


def campaign_first_round_ensure(*, campaign: Campaign) -> Round:
    """Every campaign has at least its first round: entries and leaderboards hang on it.
    Safe to call again (the round's number is unique within its campaign)."""
    round_, _created = Round.objects.get_or_create(campaign=campaign, number=1)
    return round_


def campaign_policy_frozen(*, campaign: Campaign) -> bool:
    """Whether voting has opened, so the policy, windows, status, rounds and prizes are
    frozen (changes need a reason and are audited). Read from the stored row: a form
    moving the opening into the future does not unfreeze the campaign it edits."""
    if campaign.pk is None:
        return False
    return Campaign.objects.filter(pk=campaign.pk, voting_starts_at__lte=timezone.now()).exists()


# A window shorter than this is probably a typo (a day for a month), not a plan.
SHORT_WINDOW = timedelta(days=1)


def field_labels(model: type[models.Model], names: list[str] | tuple[str, ...]) -> str:
    """The fields' labels (verbose names) in the active language, as a list reads in it
    ("投票截止时间、状态"): messages name what people see on the form, never attributes."""
    labels = [str(model._meta.get_field(name).verbose_name) for name in names]
    return pgettext("list separator", ", ").join(labels)


def campaign_window_warnings(
    *,
    kind: str,
    submission_starts_at: datetime,
    submission_ends_at: datetime,
    voting_starts_at: datetime,
    voting_ends_at: datetime,
) -> list[str]:
    """Windows that are allowed but probably not meant (the impossible ones are the
    model's check constraints): worth a warning, never a refusal."""
    warnings = []
    if voting_starts_at > submission_ends_at:
        warnings.append(
            _("Entries close %(gap)s before voting opens: in between nobody can enter or vote.")
            % {"gap": timesince(submission_ends_at, voting_starts_at, depth=2)}
        )
    elif kind == Campaign.Kind.CONTEST and voting_starts_at < submission_ends_at:
        # Daily topics take entries while earlier days are voted on; a contest seldom does.
        warnings.append(
            _(
                "Voting opens before entries close: entries sent later have less time "
                "to collect votes."
            )
        )
    if voting_ends_at < submission_ends_at:
        warnings.append(
            _(
                "Voting closes before entries close: an entry sent after voting closes "
                "can never get a vote."
            )
        )
    for label, starts, ends in (
        (_("The entry window"), submission_starts_at, submission_ends_at),
        (_("The voting window"), voting_starts_at, voting_ends_at),
    ):
        if starts < ends < starts + SHORT_WINDOW:
            warnings.append(
                _("%(window)s is only %(length)s long.")
                % {"window": label, "length": timesince(starts, ends, depth=2)}
            )
    return warnings


def campaign_frozen_change_errors(*, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Why a change to a campaign whose voting has opened is refused, whatever the
    reason given: a vote limit may only go up, and "only voters of the school" may not be
    switched on, since either would leave valid votes that break the new policy."""
    errors = []
    for name in LIMIT_FIELDS:
        if name in after and after[name] < before[name]:
            errors.append(
                _(
                    "Voting has opened: %(field)s can only be raised (%(old)s → %(new)s would "
                    "leave valid votes above the limit)."
                )
                % {
                    "field": Campaign._meta.get_field(name).verbose_name,
                    "old": before[name],
                    "new": after[name],
                }
            )
    if after.get("school_voters_only") and not before.get("school_voters_only"):
        errors.append(
            _(
                "Voting has opened: it cannot be restricted to the school's voters now "
                "(votes already cast by others would break it)."
            )
        )
    return errors


def campaign_record_frozen_change(
    *,
    campaign: Campaign,
    actor: Any,
    reason: str,
    changes: dict[str, Any],
    action: str = "campaign.policy_change",
    target: Any = None,
) -> None:
    """Audit a change staff made after voting opened (policy, windows, status, prizes,
    rounds): who, when, why, and the values before and after."""
    audit_record(
        actor=actor,
        action=action,
        target=target if target is not None else campaign,
        school_id=campaign.pilot.school_id,
        reason=reason,
        data=changes,
    )


def pilot_replicate(
    *,
    pilot: Pilot,
    school: School,
    starts_on: date,
    actor: Any,
    name: str = "",
    titles: dict[int, str] | None = None,
) -> Pilot:
    """Copy a pilot to another school, its schedule shifted to start on ``starts_on``.

    Copies campaigns (as drafts), rounds, prizes, vote policy, budget and targets; never
    entries, votes, voters or costs, which belong to the original school. ``titles``
    gives copied campaigns new titles by the original's id (the others keep theirs); a
    blank one is refused before anything is written.
    """
    titles = {pk: title.strip() for pk, title in (titles or {}).items()}
    if any(not title for title in titles.values()):
        raise ValidationError(_("Every copied campaign needs a title."))
    shift = starts_on - pilot.starts_on
    with transaction.atomic():
        copy = Pilot(
            school=school,
            name=name or pilot.name,
            status=Pilot.Status.PLANNED,
            starts_on=starts_on,
            ends_on=pilot.ends_on + shift,
            budget=pilot.budget,
            owner=actor if getattr(actor, "pk", None) else pilot.owner,
            target_max_cost_per_retained_user=pilot.target_max_cost_per_retained_user,
            target_min_d7_retention=pilot.target_min_d7_retention,
            replicated_from=pilot,
        )
        copy.full_clean()
        copy.save()
        for campaign in pilot.campaigns.prefetch_related("rounds", "prizes").order_by("pk"):
            new_campaign = Campaign.objects.create(
                pilot=copy,
                kind=campaign.kind,
                slug=campaign_slug_free(base=f"{campaign.slug}-{school.slug}"),
                title=titles.get(campaign.pk, campaign.title),
                rules=campaign.rules,
                status=Campaign.Status.DRAFT,
                submission_starts_at=campaign.submission_starts_at + shift,
                submission_ends_at=campaign.submission_ends_at + shift,
                voting_starts_at=campaign.voting_starts_at + shift,
                voting_ends_at=campaign.voting_ends_at + shift,
                **{field: getattr(campaign, field) for field in POLICY_FIELDS},
            )
            round_map = {
                old.pk: Round.objects.create(
                    campaign=new_campaign,
                    number=old.number,
                    topic=old.topic,
                    voting_starts_at=old.voting_starts_at and old.voting_starts_at + shift,
                    voting_ends_at=old.voting_ends_at and old.voting_ends_at + shift,
                )
                for old in campaign.rounds.all()
            }
            Prize.objects.bulk_create(
                Prize(
                    campaign=new_campaign,
                    round=round_map.get(prize.round_id),
                    name=prize.name,
                    rank_from=prize.rank_from,
                    rank_to=prize.rank_to,
                    unit_cost=prize.unit_cost,
                    quantity=prize.quantity,
                )
                for prize in campaign.prizes.all()
            )
        audit_record(
            actor=actor,
            action="pilot.replicate",
            target=copy,
            data={
                "from_pilot": pilot.pk,
                "shift_days": shift.days,
                "titles": {str(pk): title for pk, title in titles.items()},
            },
        )
    return copy
