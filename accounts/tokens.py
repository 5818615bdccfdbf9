"""The one-time link of the welcome email (B3/B4).

Built like Django's password-reset token: it hashes the user's password and last login, so it stops
working as soon as the person has used it to sign in (last login changes) or set a password.
"""

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


class WelcomeTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.tokens.WelcomeTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


welcome_token_generator = WelcomeTokenGenerator()


def welcome_path(user) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = welcome_token_generator.make_token(user)
    return reverse("accounts:welcome", kwargs={"uidb64": uidb64, "token": token})
