"""Ambassadors' phones as E.164, like every voter's: the admin form stored them as typed,
so "13912345678" never matched the voter "+8613912345678" and an intern who voted was
counted as a new user (docs/metrics.md "One phone form").

The rule is written out here rather than imported (a migration must not change when
app code does); a phone it cannot read is left as it was, matching no voter, as before.
The reverse keeps the normalised values: the typed spellings are not worth restoring.
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
    Ambassador = apps.get_model("ambassadors", "Ambassador")
    for pk, phone in Ambassador.objects.exclude(phone="").values_list("pk", "phone").iterator():
        value = e164(phone)
        if value and value != phone:
            Ambassador.objects.filter(pk=pk).update(phone=value)


class Migration(migrations.Migration):
    dependencies = [("ambassadors", "0003_ambassador_phone_e164")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
