"""Staff phones as E.164: the admin stored them as typed, so a staff member's vote counted
as a new user unless the number was typed exactly like the API stores it
(docs/metrics.md "One phone form").

Two rows that turn out to be one number are merged (the phone is unique): the first
keeps its label, or takes the other's. The rule is written out here rather than
imported (a migration must not change when app code does); a phone it cannot read is
left as it was. The reverse keeps the normalised values.
"""

import unicodedata

from django.db import migrations


def e164(raw: str) -> str | None:
    import phonenumbers

    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text or not text.isascii():
        return None
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise(apps, schema_editor):
    StaffPhone = apps.get_model("campaigns", "StaffPhone")
    for row in StaffPhone.objects.order_by("pk"):
        value = e164(row.phone)
        if not value or value == row.phone:
            continue
        kept = StaffPhone.objects.filter(phone=value).first()
        if kept is None:
            StaffPhone.objects.filter(pk=row.pk).update(phone=value)
            continue
        updates = {}
        if not kept.label and row.label:
            updates["label"] = row.label
        if kept.user_id is None and row.user_id is not None:
            updates["user_id"] = row.user_id
        if updates:
            StaffPhone.objects.filter(pk=kept.pk).update(**updates)
        row.delete()


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0004_staffphone_phone_e164")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
