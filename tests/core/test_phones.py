import pytest

from core.phones import InvalidPhone, phone_normalize


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+8613800138000",
        "+86 138 0013 8000",
        "0086 13800138000",
        "8613800138000",
        "１３８００１３８０００",  # full-width digits
        "＋８６ １３８－００１３－８０００",
        "(+86) 138.0013.8000",
        13800138000,  # a spreadsheet cell read as a number
        " 86 138 0013 8000 ",
        "008613800138000",
        "138\u00a00013\u00a08000",  # non-breaking spaces from a copied web page
    ],
)
def test_chinese_mobiles_normalise_to_e164(raw):
    assert phone_normalize(raw) == "+8613800138000"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "abc",
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "12800138000",  # not a mobile prefix
        "02158881234",  # Shanghai landline
        "+1 202 555 0123",
        "+8613800138000x",
        "138\x000138000",
        "١٣٨٠٠١٣٨٠٠٠",  # Arabic-Indic digits are not typed by our users
        None,
        True,
        "1" * 100,
        "14000000000",  # an IoT range: no SMS reaches it (libphonenumber's metadata)
        "+86+13800138000",
        "+86 138 0013 8000 ext 12",
        "+852 6123 4567",  # Hong Kong mobile: not +86
        "   ",
    ],
)
def test_anything_else_is_rejected(raw):
    with pytest.raises(InvalidPhone):
        phone_normalize(raw)


def test_invalid_phone_is_a_value_error():
    # Spreadsheet imports catch ValueError around every cell conversion.
    assert issubclass(InvalidPhone, ValueError)


def test_phone_field_normalises_on_full_clean():
    from core.phones import PhoneField

    field = PhoneField(blank=True)
    assert field.clean("139 1234 5678", None) == "+8613912345678"
    assert field.clean("", None) == ""


def test_phone_field_refuses_a_non_phone_with_the_users_message():
    from django.core.exceptions import ValidationError

    from core.phones import PhoneField

    with pytest.raises(ValidationError) as excinfo:
        PhoneField().clean("not a phone", None)
    assert excinfo.value.code == "invalid_phone"
