"""The data migrations that bring phones stored as typed to E.164."""

import importlib

import pytest
from django.apps import apps

from ambassadors.models import Ambassador
from campaigns.models import StaffPhone
from tests.factories import AmbassadorFactory, UserFactory

pytestmark = pytest.mark.django_db


def migration(app: str, name: str):
    return importlib.import_module(f"{app}.migrations.{name}")


def test_ambassador_phones_are_normalised_and_unreadable_ones_left_alone():
    typed = AmbassadorFactory(phone="139 1234 5678")
    Ambassador.objects.filter(pk=typed.pk).update(phone="139 1234 5678")  # as stored before
    odd = AmbassadorFactory()
    Ambassador.objects.filter(pk=odd.pk).update(phone="call the office")
    blank = AmbassadorFactory(phone="")
    migration("ambassadors", "0004_normalise_ambassador_phones").normalise(apps, None)
    assert Ambassador.objects.get(pk=typed.pk).phone == "+8613912345678"
    assert Ambassador.objects.get(pk=odd.pk).phone == "call the office"
    assert Ambassador.objects.get(pk=blank.pk).phone == ""


def test_staff_phones_are_normalised_and_duplicates_merged():
    user = UserFactory()
    # As the admin stored them before: typed (an UPDATE skips the field's normalising).
    for n, (typed, label, owner) in enumerate(
        [
            ("13700000001", "", None),
            ("+86 137 0000 0001", "运营", user),
            ("0086-137-0000-0002", "测试", None),
        ]
    ):
        row = StaffPhone.objects.create(phone=f"+861390000000{n}", label=label, user=owner)
        StaffPhone.objects.filter(pk=row.pk).update(phone=typed)
    migration("campaigns", "0005_normalise_staff_phones").normalise(apps, None)
    rows = list(StaffPhone.objects.order_by("phone").values_list("phone", "label", "user"))
    assert rows == [("+8613700000001", "运营", user.pk), ("+8613700000002", "测试", None)]
