"""Admin forms of the campaigns app: the pilot copy, and the reason staff give for
changing a campaign whose voting has opened (docs/vote-policy.md)."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Pilot, Prize, Round, School
from campaigns.services import (
    AUDITED_FIELDS,
    POLICY_FIELDS,
    WINDOW_FIELDS,
    campaign_frozen_change_errors,
    campaign_policy_frozen,
)


class PilotReplicateForm(forms.Form):
    school = forms.ModelChoiceField(School.objects.all(), label=_("school"))
    starts_on = forms.DateField(
        label=_("starts on"), help_text=_("Every date of the plan shifts by the same days.")
    )
    name = forms.CharField(label=_("name"), max_length=120)

    def __init__(self, *args, pilot: Pilot, **kwargs):
        super().__init__(*args, **kwargs)
        self.pilot = pilot
        self.fields["school"].queryset = School.objects.exclude(pk=pilot.school_id)

    def clean(self):
        cleaned = super().clean()
        school, name = cleaned.get("school"), cleaned.get("name")
        if school and name and Pilot.objects.filter(school=school, name=name).exists():
            raise ValidationError(_("This school already has a pilot with this name."))
        return cleaned


class FrozenFormSet(forms.BaseInlineFormSet):
    """Rounds and prizes of a campaign whose voting has opened change only with a reason
    (the campaign form's, read from the same POST: a formset cannot see its parent form)."""

    frozen_message = _("Voting has opened: changes here need a reason.")

    def clean(self):
        super().clean()
        if (
            self.has_changed()
            and campaign_policy_frozen(campaign=self.instance)
            and not self.data.get("change_reason", "").strip()
        ):
            raise ValidationError(self.frozen_message)


class RoundFormSet(FrozenFormSet):
    frozen_message = _("Voting has opened: round changes need a reason.")


class PrizeFormSet(FrozenFormSet):
    frozen_message = _("Voting has opened: prize changes need a reason.")


CHANGE_REASON_HELP = _(
    "Voting has opened: the vote policy, windows, status, rounds and prizes are frozen. "
    "Any change needs a reason, recorded in the audit log."
)


def change_reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason for changing a frozen campaign"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=CHANGE_REASON_HELP,
    )


class CampaignAdminForm(forms.ModelForm):
    change_reason = change_reason_field()

    class Meta:
        model = Campaign
        fields = [
            "pilot",
            "kind",
            "title",
            "slug",
            "status",
            "rules",
            *WINDOW_FIELDS,
            *POLICY_FIELDS,
        ]

    def frozen_changes(self) -> list[str]:
        if not campaign_policy_frozen(campaign=self.instance):
            return []
        return [name for name in self.changed_data if name in AUDITED_FIELDS]

    def audited_changes(self) -> dict[str, Any]:
        names = self.frozen_changes()
        return {
            "fields": {name: str(self.cleaned_data[name]) for name in names},
            "previous": {name: str(self.initial.get(name)) for name in names},
        }

    def clean(self):
        cleaned = super().clean()
        frozen = self.frozen_changes()
        if frozen:
            before = {name: self.initial.get(name) for name in POLICY_FIELDS}
            after = {name: cleaned[name] for name in frozen if name in POLICY_FIELDS}
            for message in campaign_frozen_change_errors(before=before, after=after):
                self.add_error(None, message)
            if not cleaned.get("change_reason", "").strip():
                raise ValidationError(
                    _("Voting has opened: give a reason for changing %(fields)s.")
                    % {"fields": ", ".join(frozen)}
                )
        return cleaned


class FrozenChildForm(forms.ModelForm):
    """A round or a prize edited on its own page: once its campaign's voting has opened,
    a change needs a reason and leaves an audit row, as on the campaign's page."""

    change_reason = change_reason_field()

    def frozen_campaign(self) -> Campaign | None:
        campaign = self.cleaned_data.get("campaign") or getattr(self.instance, "campaign", None)
        if self.instance.pk and self.instance.campaign_id:
            campaign = self.instance.campaign  # the stored one: moving away needs a reason
        if campaign is not None and campaign_policy_frozen(campaign=campaign):
            return campaign
        return None

    def clean(self):
        cleaned = super().clean()
        if (
            self.has_changed()
            and self.frozen_campaign() is not None
            and not cleaned.get("change_reason", "").strip()
        ):
            raise ValidationError(_("Voting has opened: give a reason for this change."))
        return cleaned


class RoundAdminForm(FrozenChildForm):
    class Meta:
        model = Round
        fields = ["campaign", "number", "topic", "voting_starts_at", "voting_ends_at"]


class PrizeAdminForm(FrozenChildForm):
    class Meta:
        model = Prize
        fields = ["campaign", "round", "name", "rank_from", "rank_to", "unit_cost", "quantity"]
