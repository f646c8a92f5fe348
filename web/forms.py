"""Input of the site's pages. Validation of shape only: every rule (codes, votes,
photos, windows) is the services' and comes back as their error."""

import unicodedata

from django import forms
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from core.phones import InvalidPhone, phone_normalize
from web.session import clean_ref


class RoundQueryForm(forms.Form):
    round = forms.IntegerField(min_value=1, max_value=32767, required=False)


class SignInForm(forms.Form):
    """Phone, then the code it received. ``action`` says which button was pressed."""

    SEND, VERIFY = "send", "verify"

    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "type": "tel",
                "inputmode": "numeric",
                "autocomplete": "tel",
                "placeholder": _("11-digit mobile number"),
                "data-testid": "phone-input",
            }
        ),
    )
    code = forms.CharField(
        label=_("Verification code"),
        max_length=12,
        required=False,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "placeholder": _("6-digit code"),
                "data-testid": "code-input",
            }
        ),
    )
    action = forms.ChoiceField(choices=[(SEND, SEND), (VERIFY, VERIFY)], required=False)
    ref = forms.CharField(max_length=32, required=False, widget=forms.HiddenInput)
    next = forms.CharField(max_length=300, required=False, widget=forms.HiddenInput)
    # Asked only when the student came from a campaign for one school's students: a new
    # voter says they study there (the API's ``school``). It never changes a school
    # already on record (voting/services/sign_in.py).
    at_school = forms.BooleanField(
        required=False,
        widget=forms.CheckboxInput(attrs={"data-testid": "at-school"}),
    )

    def clean_phone(self) -> str:
        try:
            return phone_normalize(self.cleaned_data["phone"])
        except InvalidPhone as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_code(self) -> str:
        # Full-width digits from Chinese keyboards count as digits (as in the API).
        return unicodedata.normalize("NFKC", self.cleaned_data["code"]).strip()

    def clean_ref(self) -> str:
        return clean_ref(self.cleaned_data["ref"])

    def clean(self):
        data = super().clean()
        if data.get("action") == self.VERIFY and "code" in data and not data["code"]:
            self.add_error("code", _("Enter the code you received by SMS."))
        return data


def safe_next(url: str | None, request, default: str) -> str:
    """Only a path of this site: a sign-in link must not send anyone elsewhere."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


class EntrySubmitForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=60)
    caption = forms.CharField(
        label=_("A line about your photo"),
        max_length=280,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Every check of the file, emptiness included, is the photo service's (the API's
    # `invalid_image` messages); the form only asks that one is there.
    photo = forms.FileField(
        label=_("Photo"),
        allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        error_messages={"required": _("Choose a photo from your camera or album.")},
    )
