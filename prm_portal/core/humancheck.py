"""Spam protection for the public forms (web-to-lead, the partner finder) without third parties: a honeypot field
people never see, and a signed, timestamped, random form token — a submission faster than a person types, or with a
forged or expired token, is refused, and the form shown again carries a fresh token with the visitor's input kept."""

from django import forms
from django.core import signing
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _


def human_form_token(salt) -> str:
    """A fresh signed, timestamped token; random, so two visitors never share one (one token, one submission)."""
    return signing.TimestampSigner(salt=salt).sign(get_random_string(20))


class HumanCheckMixin:
    """For a form with a `website` honeypot field and a hidden `token` field. Subclasses set `token_salt` and may
    override `token_max_age()` and `token_min_seconds()`."""

    token_salt = ""

    def token_max_age(self) -> int:
        return 24 * 3600

    def token_min_seconds(self) -> int:
        return 3

    def fresh_token(self) -> str:
        return human_form_token(self.token_salt)

    @property
    def is_spam(self):
        return bool(self.data.get("website"))

    def renew_expired_token(self):
        """After a refusal for an expired or broken token, the form shown again carries a fresh one (the visitor's
        typed data stays), so sending it again works."""
        if getattr(self, "_token_renewal_due", False):
            self.data = self.data.copy()
            self.data["token"] = self.fresh_token()

    def clean_token(self):
        token = self.cleaned_data["token"]
        signer = signing.TimestampSigner(salt=self.token_salt)
        try:
            signer.unsign(token, max_age=self.token_max_age())
        except signing.SignatureExpired:
            self._token_renewal_due = True
            raise forms.ValidationError(_("This form has expired. Please send it again."))
        except signing.BadSignature:
            self._token_renewal_due = True
            raise forms.ValidationError(_("Please send the form again."))
        try:
            signer.unsign(token, max_age=self.token_min_seconds())
        except signing.SignatureExpired:
            return token  # older than the minimum: a person had time to fill it in
        raise forms.ValidationError(_("That was quick! Please check your details and send the form again."))
