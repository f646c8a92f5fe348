"""Spreadsheet import and export of a pilot's expenses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from import_export import fields, widgets

from campaigns.models import Campaign, Expense, Pilot
from campaigns.rosters.matching import pilot_periods
from campaigns.rosters.pipeline import RosterResource
from core.spreadsheets.cleaners import (
    clean_choice,
    clean_date,
    clean_key,
    clean_text,
    labels_in_every_language,
)
from core.spreadsheets.headers import column, header_key

CATEGORY_OPTIONS = {
    "奖品": Expense.Category.PRIZES,
    "奖励": Expense.Category.PRIZES,
    "印刷": Expense.Category.PRINTING,
    "物料": Expense.Category.PRINTING,
    "广告": Expense.Category.ADVERTISING,
    "投放": Expense.Category.ADVERTISING,
    "场地": Expense.Category.VENUE,
    "设计": Expense.Category.DESIGN,
    "技术": Expense.Category.TECHNOLOGY,
    "公关": Expense.Category.PR,
    "差旅": Expense.Category.TRAVEL,
    "交通": Expense.Category.TRAVEL,
    "其他": Expense.Category.OTHER,
    "其它": Expense.Category.OTHER,
}
MAX_AMOUNT = Decimal("9999999999.99")


def _categories() -> dict[str, str]:
    # The labels in every language the project ships: the command line and the admin
    # accept the same files, whatever language each runs in.
    return {**CATEGORY_OPTIONS, **labels_in_every_language(Expense.Category.choices)}


class ExpenseResource(RosterResource):
    """Expenses of the school's pilots.

    Natural key: pilot + date + category + note. The amount is what an update corrects;
    two expenses of one day and category need different notes (a file holding both
    without notes is refused, rather than summed or overwritten). A blank pilot column
    means the school's only pilot.
    """

    kind = "expenses"
    columns = (
        column("date", required=True),
        column("category", required=True),
        column("amount", required=True),
        column("note"),
        column("pilot"),
        column("campaign"),
        column("school"),
    )
    update_fields = ("amount", "campaign")
    preview_fields = ("pilot", "campaign", "spent_on", "category", "amount", "note")
    template_example = {
        "date": dt.date(2025, 11, 9),
        "category": "印刷",
        "amount": 150,
        "note": "示例：海报100张",
    }
    # Drop-down lists of the template: the labels in Chinese (campaigns/rosters/blanks.py).
    template_lists = {"category": Expense.Category.choices}
    option_words = {"category": _categories}

    school = fields.Field(attribute="pilot__school__name", column_name="学校", readonly=True)
    pilot = fields.Field(attribute="pilot__name", column_name="试点")
    campaign = fields.Field(attribute="campaign__slug", column_name="活动")
    date = fields.Field(attribute="spent_on", column_name="日期", widget=widgets.DateWidget())
    category = fields.Field(attribute="category", column_name="类别")
    amount = fields.Field(attribute="amount", column_name="金额", widget=widgets.DecimalWidget())
    note = fields.Field(attribute="note", column_name="备注")

    class Meta:
        model = Expense
        fields = ("school", "pilot", "campaign", "date", "category", "amount", "note")
        export_order = fields

    def prepare_dataset(self, dataset):
        dataset = super().prepare_dataset(dataset)
        self._categories = _categories()
        self._pilots = list(Pilot.objects.filter(school=self.scope.school))
        self._campaigns = list(
            Campaign.objects.filter(pilot__school=self.scope.school).only(
                "id", "slug", "title", "pilot_id"
            )
        )
        return dataset

    def _pilot(self, name: str, errors) -> Pilot | None:
        header = self.column_header("pilot")
        if not name:
            if len(self._pilots) == 1:
                return self._pilots[0]
            errors.setdefault(header, []).append(
                _("required: %(school)s has %(n)d pilots")
                % {"school": self.scope.school.name, "n": len(self._pilots)}
            )
            return None
        for pilot in self._pilots:
            if header_key(pilot.name) == header_key(name):
                return pilot
        errors.setdefault(header, []).append(
            _("%(school)s has no pilot named %(name)s")
            % {"school": self.scope.school.name, "name": name}
        )
        return None

    def _campaign(self, text: str, pilot: Pilot | None, errors) -> Campaign | None:
        if not text or pilot is None:
            return None
        for campaign in self._campaigns:
            if campaign.pilot_id == pilot.pk and header_key(text) in (
                header_key(campaign.slug),
                header_key(campaign.title),
            ):
                return campaign
        errors.setdefault(self.column_header("campaign"), []).append(
            _("the pilot %(pilot)s has no campaign %(campaign)s")
            % {"pilot": pilot.name, "campaign": text}
        )
        return None

    def clean_row(self, raw, errors):
        categories = self._categories
        pilot_name = self.cell(raw, "pilot", clean_key, errors) or ""
        pilot = self._pilot(pilot_name, errors)
        # A date without a year takes the year that puts it inside the pilot's period.
        periods = pilot_periods([pilot] if pilot is not None else self._pilots)
        values = {
            "spent_on": self.cell(raw, "date", lambda v: clean_date(v, periods=periods), errors),
            "category": self.cell(raw, "category", lambda v: clean_choice(v, categories), errors),
            "amount": self.money(raw, "amount", errors, minimum=Decimal(0), maximum=MAX_AMOUNT),
            "note": self.cell(raw, "note", lambda v: clean_text(v, max_length=255), errors) or "",
            "pilot": pilot,
        }
        campaign_text = self.cell(raw, "campaign", clean_key, errors) or ""
        values["campaign"] = self._campaign(campaign_text, values["pilot"], errors)
        return values

    def row_key(self, values):
        return (values["pilot"].pk, values["spent_on"], values["category"], values["note"])

    def key_label(self, values):
        note = values["note"] or _("(no note)")
        return f"{values['spent_on']} / {values['category']} / {note}"

    def instance_key(self, instance):
        return (instance.pilot_id, instance.spent_on, instance.category, instance.note)

    def existing_rows(self):
        return Expense.objects.filter(pilot__school=self.scope.school)

    def new_instance(self, values):
        return Expense(
            pilot=values["pilot"],
            campaign=values["campaign"],
            spent_on=values["spent_on"],
            category=values["category"],
            amount=values["amount"],
            note=values["note"],
        )

    def apply(self, instance, values):
        changed = False
        if instance.amount != values["amount"]:
            instance.amount = values["amount"]
            changed = True
        campaign = values["campaign"]
        if campaign is not None and instance.campaign_id != campaign.pk:
            instance.campaign = campaign
            changed = True
        return changed

    def dehydrate_category(self, expense: Expense) -> str:
        return str(expense.get_category_display())

    def get_queryset(self):
        return Expense.objects.select_related("pilot__school", "campaign")
