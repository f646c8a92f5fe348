"""What each import kind's columns are, for people filling in a sheet: the header, the
other headers understood, whether it is required, what to write, and for option columns
every accepted value. Generated from the resource's own definitions (``columns``,
``template_lists``, ``option_words``), so the import page and the template's 填写说明
sheet (campaigns/rosters/blanks.py) say what the import really accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy

from campaigns.rosters.pipeline import resource_class_for

FIELD_HELP = {
    "name": gettext_lazy("Full name."),
    "student_id": gettext_lazy("Student id, as text: leading zeros are kept."),
    "phone": gettext_lazy("Mobile number, 11 digits; +86 may be left out."),
    "email": gettext_lazy("E-mail address."),
    "role": gettext_lazy("Choose from the list; blank: intern."),
    "hourly_rate": gettext_lazy("Yuan per hour."),
    "stipend": gettext_lazy("Fixed yuan per month."),
    "active": gettext_lazy("是 or 否; blank: 是."),
    "school": gettext_lazy("Optional; when given, the school of the import."),
    "date": gettext_lazy("A date such as 2025-11-09; 11月9日 takes the pilot's year."),
    "hours": gettext_lazy("Hours worked that day, more than 0 and at most 24."),
    "task": gettext_lazy("What was done; the same date and task again updates the hours."),
    "category": gettext_lazy("Choose from the list."),
    "amount": gettext_lazy("Yuan, e.g. 1500 or ¥1,500.00."),
    "note": gettext_lazy("Free text; two expenses of one day and category need different notes."),
    "pilot": gettext_lazy("The pilot's name; blank when the school has one pilot."),
    "campaign": gettext_lazy("Optional: the campaign's slug or title."),
    "caption": gettext_lazy("Free text, kept exactly as written."),
    "photo": gettext_lazy("The photo's file name in the zip uploaded with the list."),
    "round": gettext_lazy("Round number, topic, 第4轮 or 第4天; needed when there are several."),
}


@dataclass(frozen=True)
class OptionGuide:
    label: str  # the option as the reader's language shows it
    words: tuple[str, ...]  # every written form read as it


@dataclass(frozen=True)
class ColumnGuide:
    field: str
    header: str
    aliases: tuple[str, ...]
    required: bool
    help: str
    options: tuple[OptionGuide, ...]


def _options(resource, field: str) -> tuple[OptionGuide, ...]:
    choices = resource.template_lists.get(field)
    if not choices:
        return ()
    words = resource.option_words.get(field)
    written = words() if words else {}
    guides = []
    for value, label in choices:
        forms = sorted({w for w, v in written.items() if v == value} - {str(label)})
        guides.append(OptionGuide(label=str(label), words=(str(label), *forms)))
    return tuple(guides)


def column_guide(kind: str) -> list[ColumnGuide]:
    """The columns of ``kind``, required ones first, in the resource's order."""
    resource = resource_class_for(kind)
    rows = [
        ColumnGuide(
            field=col.field,
            header=col.header,
            aliases=tuple(col.aliases),
            required=col.required,
            help=str(FIELD_HELP.get(col.field, "")),
            options=_options(resource, col.field),
        )
        for col in resource.columns
    ]
    return sorted(rows, key=lambda row: not row.required)
