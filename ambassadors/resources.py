"""Spreadsheet import and export of the team roster and its work hours."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from import_export import fields, widgets

from ambassadors.models import Ambassador, WorkLog
from ambassadors.services import (
    PAY_FIELDS,
    PayChangeRefused,
    ambassador_pay_changes_record,
    ambassador_referral_code_assign,
    pay_changes,
)
from campaigns.models import Pilot
from campaigns.rosters.matching import pilot_periods
from campaigns.rosters.pipeline import RosterResource
from campaigns.rules import is_ops
from core.phones import InvalidPhone, phone_normalize
from core.privacy import mask_phone
from core.spreadsheets.cleaners import (
    bool_words,
    clean_bool,
    clean_choice,
    clean_date,
    clean_decimal,
    clean_key,
    clean_student_id,
    clean_text,
    labels_in_every_language,
)
from core.spreadsheets.headers import column, header_key
from core.spreadsheets.sheet import CellError

ROLE_OPTIONS = {
    "lead": Ambassador.Role.LEAD,
    "组长": Ambassador.Role.LEAD,
    "负责人": Ambassador.Role.LEAD,
    "队长": Ambassador.Role.LEAD,
    "intern": Ambassador.Role.INTERN,
    "实习生": Ambassador.Role.INTERN,
    "大使": Ambassador.Role.INTERN,
    "校园大使": Ambassador.Role.INTERN,
}
MAX_RATE = Decimal("999999.99")
MAX_STIPEND = Decimal("99999999.99")


_MASKED_PHONE = re.compile(r"\+?[\d\s-]*\*{2,}[\d\s-]*")


def clean_phone(value: Any) -> str:
    """The API's normalisation (voting.phones), so a roster phone and a voter's sign-in
    phone compare equal. Blank stays blank: the phone is optional. A phone masked by an
    export ("139****0000") is blank too: it keeps the stored phone."""
    text = clean_key(value)
    if not text or _MASKED_PHONE.fullmatch(text):
        return ""
    try:
        return phone_normalize(value if isinstance(value, int) else text)
    except InvalidPhone as exc:
        raise CellError(f'"{text[:40]}": {exc}') from None


def clean_email(value: Any) -> str:
    text = clean_key(value, max_length=254)
    if text:
        try:
            validate_email(text)
        except ValidationError:
            raise CellError(_('"%(value)s" is not an e-mail address') % {"value": text}) from None
    return text


def _roles() -> dict[str, str]:
    # Also the role names as every language displays them, so any export imports back.
    return {**ROLE_OPTIONS, **labels_in_every_language(Ambassador.Role.choices)}


class AmbassadorResource(RosterResource):
    """The team roster. Natural key: school + student id."""

    kind = "ambassadors"
    columns = (
        column("name", required=True),
        column("student_id", required=True),
        column("phone"),
        column("email"),
        column("role"),
        column("hourly_rate"),
        column("stipend"),
        column("active"),
        column("school"),
    )
    update_fields = ("name", "phone", "email", "role", "hourly_rate", "stipend", "active")
    preview_fields = ("name", "student_id", *update_fields[1:])
    template_example = {
        "name": "张三",
        "student_id": "2025000001",
        "phone": "13800138000",
        "email": "zhangsan@example.cn",
        "role": "组长",
        "hourly_rate": 25,
        "stipend": 100,
        "active": "是",
    }
    template_lists = {"role": Ambassador.Role.choices, "active": [(True, "是"), (False, "否")]}
    option_words = {"role": _roles, "active": bool_words}

    school = fields.Field(attribute="school__name", column_name="学校", readonly=True)
    name = fields.Field(attribute="name", column_name="姓名")
    student_id = fields.Field(attribute="student_id", column_name="学号")
    phone = fields.Field(attribute="phone", column_name="手机号")
    email = fields.Field(attribute="email", column_name="邮箱")
    role = fields.Field(attribute="role", column_name="角色")
    hourly_rate = fields.Field(
        attribute="hourly_rate", column_name="时薪", widget=widgets.DecimalWidget()
    )
    stipend = fields.Field(attribute="stipend", column_name="补贴", widget=widgets.DecimalWidget())
    active = fields.Field(attribute="active", column_name="在职")
    referral_code = fields.Field(attribute="referral_code", column_name="推荐码", readonly=True)

    class Meta:
        model = Ambassador
        fields = (
            "school",
            "name",
            "student_id",
            "phone",
            "email",
            "role",
            "hourly_rate",
            "stipend",
            "active",
            "referral_code",
        )
        export_order = fields

    # --- import ---------------------------------------------------------------------

    def prepare_dataset(self, dataset):
        dataset = super().prepare_dataset(dataset)
        self._ids = self.student_ids(
            Ambassador.objects.filter(school=self.scope.school).values_list("student_id", flat=True)
        )
        self._roles = _roles()
        self._pay_changes: list[tuple[Ambassador, dict]] = []
        return dataset

    def clean_row(self, raw, errors):
        roles = self._roles
        values = {
            "name": self.cell(raw, "name", lambda v: clean_key(v, max_length=60), errors),
            "student_id": self.cell(raw, "student_id", clean_student_id, errors),
            "phone": self.cell(raw, "phone", clean_phone, errors),
            "email": self.cell(raw, "email", clean_email, errors),
            "role": self.cell(raw, "role", lambda v: clean_choice(v, roles, default=""), errors),
            "hourly_rate": self.money(
                raw, "hourly_rate", errors, minimum=Decimal(0), maximum=MAX_RATE, required=False
            ),
            "stipend": self.money(
                raw, "stipend", errors, minimum=Decimal(0), maximum=MAX_STIPEND, required=False
            ),
            "active": self.cell(raw, "active", lambda v: clean_bool(v, default=None), errors),
        }
        values["student_id"] = self._ids.resolve(self.raw(raw, "student_id"), values["student_id"])
        if not values["name"] and self.column_header("name") not in errors:
            errors.setdefault(self.column_header("name"), []).append(_("required"))
        return values

    def row_key(self, values):
        return (values["student_id"],)

    def instance_key(self, instance):
        return (instance.student_id,)

    def key_label(self, values):
        return _("student id %(id)s") % {"id": values["student_id"]}

    def existing_rows(self):
        return Ambassador.objects.filter(school=self.scope.school).only(
            "id", "school_id", "student_id", *self.update_fields
        )

    def _pay_refused(self) -> ValidationError:
        return ValidationError(str(PayChangeRefused.default_message))

    def new_instance(self, values):
        if not self.scope.is_ops and any(values[name] for name in PAY_FIELDS):
            # An intern adds team members; what they are paid is for operations staff.
            raise self._pay_refused()
        return Ambassador(
            school=self.scope.school,
            name=values["name"],
            student_id=values["student_id"],
            phone=values["phone"] or "",
            email=values["email"] or "",
            role=values["role"] or Ambassador.Role.INTERN,
            hourly_rate=values["hourly_rate"] if values["hourly_rate"] is not None else 0,
            stipend=values["stipend"] if values["stipend"] is not None else 0,
            active=values["active"] if values["active"] is not None else True,
        )

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        # Referral codes are drawn for rows that are written, not for a preview.
        if not dry_run:
            for ambassador in self.create_instances:
                ambassador_referral_code_assign(ambassador=ambassador)
        super().bulk_create(using_transactions, dry_run, raise_errors, batch_size, result)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        super().bulk_update(using_transactions, dry_run, raise_errors, batch_size, result)
        # Written with the rows, in the import's transaction: a file with any bad row is
        # rolled back whole (campaigns/rosters/pipeline.py), its audit rows with it.
        if not dry_run:
            ambassador_pay_changes_record(changes=self._pay_changes, actor=self.scope.user)
        self._pay_changes = []

    def apply(self, instance, values):
        old_pay = {name: getattr(instance, name) for name in PAY_FIELDS}
        changed = self._apply_fields(instance, values)
        pay = pay_changes(old=old_pay, new=instance)
        if pay:
            if not self.scope.is_ops:
                raise self._pay_refused()
            self._pay_changes.append((instance, pay))
        return changed

    def _apply_fields(self, instance, values):
        changed = False
        for name in self.update_fields:
            value = values.get(name)
            if value is None or value == "":
                continue  # a blank cell keeps what is stored
            if getattr(instance, name) != value:
                setattr(instance, name, value)
                changed = True
        return changed

    def preview_value(self, instance, name):
        if name == "phone":
            return self.dehydrate_phone(instance)
        return super().preview_value(instance, name)

    def preview_old_value(self, name, raw):
        if name == "phone" and not (self.user is not None and is_ops(self.user)):
            return mask_phone(raw or "")
        return super().preview_old_value(name, raw)

    # --- export ---------------------------------------------------------------------

    def dehydrate_phone(self, ambassador: Ambassador) -> str:
        # Full numbers for operations staff only, as in the admin list.
        if self.user is not None and is_ops(self.user):
            return ambassador.phone
        return mask_phone(ambassador.phone)

    def dehydrate_role(self, ambassador: Ambassador) -> str:
        return str(ambassador.get_role_display())

    def dehydrate_active(self, ambassador: Ambassador) -> str:
        return "是" if ambassador.active else "否"

    def get_queryset(self):
        return Ambassador.objects.select_related("school")


class WorkLogResource(RosterResource):
    """Hours worked. Natural key: the ambassador (school + student id), date and task.
    Imported hours are never approved, and approved hours cannot be changed by import."""

    kind = "worklogs"
    columns = (
        column("student_id", required=True),
        column("name"),
        column("date", required=True),
        column("hours", required=True),
        column("task", required=True),
        column("school"),
    )
    update_fields = ("hours",)
    preview_fields = ("ambassador", "date", "hours", "task")
    template_example = {
        "student_id": "2025000001",
        "name": "张三",
        "date": dt.date(2025, 11, 9),
        "hours": 2,
        "task": "摆摊宣传",
    }

    school = fields.Field(attribute="ambassador__school__name", column_name="学校", readonly=True)
    student_id = fields.Field(attribute="ambassador__student_id", column_name="学号")
    name = fields.Field(attribute="ambassador__name", column_name="姓名", readonly=True)
    date = fields.Field(attribute="date", column_name="日期", widget=widgets.DateWidget())
    hours = fields.Field(attribute="hours", column_name="小时", widget=widgets.DecimalWidget())
    task = fields.Field(attribute="task", column_name="任务")
    approved = fields.Field(attribute="approved", column_name="已审核", readonly=True)

    class Meta:
        model = WorkLog
        fields = ("school", "student_id", "name", "date", "hours", "task", "approved")
        export_order = fields

    def prepare_dataset(self, dataset):
        dataset = super().prepare_dataset(dataset)
        self._ambassadors = {
            a.student_id: a for a in Ambassador.objects.filter(school=self.scope.school)
        }
        self._ids = self.student_ids(self._ambassadors)
        # A date without a year takes the year of the school's pilots.
        self._periods = pilot_periods(Pilot.objects.filter(school=self.scope.school))
        return dataset

    def clean_row(self, raw, errors):
        values = {
            "student_id": self.cell(raw, "student_id", clean_student_id, errors),
            "name": self.cell(raw, "name", clean_key, errors),
            "date": self.cell(raw, "date", lambda v: clean_date(v, periods=self._periods), errors),
            "hours": self.cell(
                raw,
                "hours",
                lambda v: clean_decimal(v, above=Decimal(0), maximum=Decimal(24)),
                errors,
            ),
            "task": self.cell(raw, "task", lambda v: clean_text(v, max_length=200), errors),
        }
        values["student_id"] = self._ids.resolve(self.raw(raw, "student_id"), values["student_id"])
        if values["student_id"]:
            ambassador = self._ambassadors.get(values["student_id"])
            if ambassador is None:
                errors.setdefault(self.column_header("student_id"), []).append(
                    _("no ambassador of %(school)s has student id %(id)s")
                    % {"school": self.scope.school.name, "id": values["student_id"]}
                )
            elif values["name"] and header_key(values["name"]) != header_key(ambassador.name):
                # A typo in a student id would book hours to someone else.
                errors.setdefault(self.column_header("name"), []).append(
                    _("student id %(id)s is %(name)s, not %(written)s")
                    % {
                        "id": values["student_id"],
                        "name": ambassador.name,
                        "written": values["name"],
                    }
                )
            values["ambassador"] = ambassador
        if values["task"] == "" and self.column_header("task") not in errors:
            errors.setdefault(self.column_header("task"), []).append(_("required"))
        return values

    def row_key(self, values):
        return (values["ambassador"].pk, values["date"], values["task"])

    def key_label(self, values):
        return f"{values['student_id']} / {values['date']} / {values['task']}"

    def instance_key(self, instance):
        return (instance.ambassador_id, instance.date, instance.task)

    def existing_rows(self):
        return WorkLog.objects.filter(ambassador__school=self.scope.school)

    def new_instance(self, values):
        return WorkLog(
            ambassador=values["ambassador"],
            date=values["date"],
            hours=values["hours"],
            task=values["task"],
        )

    def apply(self, instance, values):
        if instance.hours == values["hours"]:
            return False
        if instance.approved:
            raise ValidationError(
                _("these hours are approved already; ask operations staff to change them")
            )
        instance.hours = values["hours"]
        return True

    def get_queryset(self):
        return WorkLog.objects.select_related("ambassador__school")
