"""Admin forms of the campaigns app: the pilot copy, the campaign with its rounds and
prizes (what each rule means, the slug made from the title), and the reason staff give for
changing a campaign whose voting has opened (docs/vote-policy.md, docs/campaign-form.md)."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Pilot, Prize, Round, School
from campaigns.selectors import campaign_slug_for_title, campaign_title_for_school
from campaigns.services import (
    AUDITED_FIELDS,
    POLICY_FIELDS,
    WINDOW_FIELDS,
    campaign_frozen_change_errors,
    campaign_policy_frozen,
    campaign_window_warnings,
    field_labels,
)


class PilotReplicateForm(forms.Form):
    """The copy's school, start and name, then (a second step, once the school is known)
    a new title for each copied campaign, prefilled with the old school's name replaced
    by the new one's. ``titles_school`` says which school the titles were filled in for:
    choosing another school fills them in again."""

    school = forms.ModelChoiceField(School.objects.all(), label=_("school"))
    starts_on = forms.DateField(
        label=_("starts on"), help_text=_("Every date of the plan shifts by the same days.")
    )
    name = forms.CharField(
        label=_("pilot name"),
        max_length=120,
        widget=forms.TextInput(attrs={"class": "vTextField"}),
    )
    titles_school = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, pilot: Pilot, **kwargs):
        super().__init__(*args, **kwargs)
        self.pilot = pilot
        self.fields["school"].queryset = School.objects.exclude(pk=pilot.school_id)
        self.campaigns = list(pilot.campaigns.order_by("pk"))
        self.asks_titles = bool(self.is_bound and self.data.get("titles_school"))
        if self.asks_titles:
            for campaign in self.campaigns:
                self.fields[self.title_field(campaign)] = forms.CharField(
                    label=campaign.title,
                    max_length=Campaign._meta.get_field("title").max_length,
                    error_messages={"required": _("Give the copied campaign a title.")},
                )

    @staticmethod
    def title_field(campaign: Campaign) -> str:
        return f"title_{campaign.pk}"

    def title_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("title_")]

    def titles_ready(self) -> bool:
        """Whether the titles on the form were filled in for the chosen school (else the
        view fills them in and asks again)."""
        school = self.cleaned_data.get("school")
        return bool(
            self.asks_titles and school and self.cleaned_data.get("titles_school") == school.pk
        )

    def data_with_titles(self) -> dict:
        """The posted data with titles (and a pilot name still the original's) for the
        chosen school: the data of the second step."""
        school = self.cleaned_data["school"]
        data = self.data.copy()

        def renamed(text: str) -> str:
            return campaign_title_for_school(
                title=text, old_school=self.pilot.school, new_school=school
            )

        for campaign in self.campaigns:
            data[self.title_field(campaign)] = renamed(campaign.title)
        if self.cleaned_data["name"] == self.pilot.name:
            data["name"] = renamed(self.pilot.name)
        data["titles_school"] = str(school.pk)
        return data

    def titles(self) -> dict[int, str]:
        return {c.pk: self.cleaned_data[self.title_field(c)] for c in self.campaigns}

    def clean(self):
        cleaned = super().clean()
        school, name = cleaned.get("school"), cleaned.get("name")
        if school and name and Pilot.objects.filter(school=school, name=name).exists():
            self.add_error("name", _("This school already has a pilot with this name."))
        if not (self.asks_titles and school):
            return cleaned
        taken = set(Campaign.objects.filter(pilot__school=school).values_list("title", flat=True))
        seen: set[str] = set()
        for campaign in self.campaigns:
            field = self.title_field(campaign)
            title = cleaned.get(field)
            if not title:
                continue
            if title in seen:
                self.add_error(field, _("Two copied campaigns cannot have the same title."))
            elif title in taken:
                self.add_error(
                    field,
                    _("%(school)s already has a campaign titled “%(title)s”.")
                    % {"school": school, "title": title},
                )
            seen.add(title)
        return cleaned

    def titles_naming_old_school(self) -> list[str]:
        old = self.pilot.school.name
        return [title for title in self.titles().values() if old and old in title]


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

    def add_fields(self, form, index):
        # Every form, the blank template of "add another" included.
        super().add_fields(form, index)
        if "round" in form.fields:
            limit_rounds(form.fields["round"], self.instance.pk)


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


# What each rule means, next to the field that sets it: kept in the forms (not the
# models) so that a change of wording needs no migration.
CAMPAIGN_HELP = {
    "kind": _(
        "A contest has one round and one leaderboard. A daily topic has one round per "
        "topic or day (add them under Rounds), each with its own leaderboard and prizes."
    ),
    "title": _("Shown to students on the campaign page and on share posters."),
    "slug": _(
        "The campaign's web address on the student site, unique across all schools: "
        "lowercase letters, digits and hyphens. Leave it blank to make one from the "
        "title, Chinese in pinyin (最美跑者 → /c/zui-mei-pao-zhe/). Changing it later "
        "breaks links already shared."
    ),
    "status": _(
        "Draft: only staff see it. Open: students see it, enter and vote inside the "
        "windows. Closed: set when voting ends; the final standing is frozen and prizes "
        "are awarded. Archived: kept for the reports."
    ),
    "rules": _("Shown to students on the campaign page."),
    "submission_starts_at": _("Students can submit entries from this time (Asia/Shanghai)."),
    "submission_ends_at": _("…until this time. Entries need approval before they get votes."),
    "voting_starts_at": _(
        "Votes count from this time, while the campaign is open. From then on the vote "
        "policy, windows, status, rounds and prizes are frozen: a change needs a reason "
        "and is logged."
    ),
    "voting_ends_at": _("…until this time; then the campaign closes and prizes are awarded."),
    "votes_per_entry_per_day": _(
        "Votes one student may give the same entry per day (a calendar day in Asia/Shanghai)."
    ),
    "votes_per_day": _(
        "Votes one student may give per day in this campaign, over all entries; at least "
        "the votes per entry per day. After voting opens, limits can only be raised."
    ),
    "school_voters_only": _(
        "Only students who signed in as students of this campaign's school may vote; "
        "others are told they are not eligible. Cannot be switched on after voting opens."
    ),
}
ROUND_HELP = {
    "number": _("1, 2, 3…: the order of the rounds (topics or days)."),
    "topic": _("E.g. 最美腹肌 for a daily topic; blank for a contest's only round."),
    "voting_starts_at": _("Blank: from the campaign's voting opening."),
    "voting_ends_at": _("Blank: until the campaign's voting closes."),
}
PRIZE_HELP = {
    "round": _(
        "Blank: the prize goes to these ranks of every round (each topic or day). "
        "Choose a round for a prize of that round only."
    ),
    "rank_from": _("Ranks from…"),
    "rank_to": _("…to this rank (included) each win the prize: 1 to 3 for the top three."),
    "unit_cost": _("The cost of one unit, counted in the report's prize cost."),
    "quantity": _("Units each winning rank gets, e.g. 2 T-shirts for each of ranks 4 to 10."),
}


ROUND_NOT_OFFERED = _("Choose one of this campaign's rounds, or none for every round.")


def round_label(round_: Round) -> str:
    return round_.topic or _("round %(number)s") % {"number": round_.number}


def limit_rounds(field: forms.ModelChoiceField, campaign_id: int | None) -> None:
    """Offer only the rounds of the prize's own campaign: a hand-posted round of another
    campaign is then refused as an invalid choice."""
    rounds = field.queryset
    field.queryset = rounds.filter(campaign_id=campaign_id) if campaign_id else rounds.none()
    field.label_from_instance = round_label
    field.error_messages["invalid_choice"] = ROUND_NOT_OFFERED


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
        help_texts = CAMPAIGN_HELP

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
        # The reason is asked only where it is needed (campaigns/admin.py's fieldsets
        # agree): on a campaign whose voting has opened, never on a new one.
        self.frozen = campaign_policy_frozen(campaign=self.instance)
        if not self.frozen:
            self.fields.pop("change_reason", None)

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug")
        if slug:
            return slug
        if self.instance.pk:
            return self.instance.slug  # blank keeps the address already shared
        title = self.cleaned_data.get("title")
        # Without a title its own error says what is missing; the slug waits for it.
        return campaign_slug_for_title(title=title) if title else ""

    def frozen_changes(self) -> list[str]:
        if not self.frozen:
            return []
        return [name for name in self.changed_data if name in AUDITED_FIELDS]

    def audited_changes(self) -> dict[str, Any]:
        names = self.frozen_changes()
        return {
            "fields": {name: str(self.cleaned_data[name]) for name in names},
            "previous": {name: str(self.initial.get(name)) for name in names},
        }

    def window_warnings(self) -> list[str]:
        """Odd but allowed windows, for the admin to show as warnings after saving."""
        values = {name: self.cleaned_data.get(name) for name in WINDOW_FIELDS}
        if None in values.values():
            return []
        return campaign_window_warnings(kind=self.cleaned_data.get("kind"), **values)

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
                    % {"fields": field_labels(Campaign, frozen)}
                )
        return cleaned


class RoundInlineForm(forms.ModelForm):
    class Meta:
        model = Round
        fields = ["number", "topic", "voting_starts_at", "voting_ends_at"]
        help_texts = ROUND_HELP


class PrizeInlineForm(forms.ModelForm):
    class Meta:
        model = Prize
        fields = ["round", "name", "rank_from", "rank_to", "unit_cost", "quantity"]
        help_texts = PRIZE_HELP


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
        help_texts = ROUND_HELP


class PrizeAdminForm(FrozenChildForm):
    class Meta:
        model = Prize
        fields = ["campaign", "round", "name", "rank_from", "rank_to", "unit_cost", "quantity"]
        help_texts = PRIZE_HELP

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "round" in self.fields:
            limit_rounds(self.fields["round"], self._campaign_id())

    def _campaign_id(self) -> int | None:
        """The campaign the rounds are offered for: the one posted, else the stored or
        initial one (``?campaign=ID`` on the add page)."""
        if self.is_bound:
            value = self.data.get(self.add_prefix("campaign"), "")
        else:
            value = self.instance.campaign_id or self.initial.get("campaign") or ""
        value = getattr(value, "pk", value)
        return int(value) if str(value).isdigit() else None
