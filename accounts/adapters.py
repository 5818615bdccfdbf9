import hashlib

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Partners are invited by their channel manager; nobody signs themselves up."""

    def is_open_for_signup(self, request):
        return False

    def set_password(self, user, password):
        """Password change, set and reset all go through the service (it also ends a temporary password)."""
        from .services import user_password_set

        user_password_set(actor=user, password=password)

    def send_password_reset_mail(self, user, email, context):
        """G1/F1: the reset email goes through Celery after commit, once per link, in the user's language."""
        from prm_portal.core.emails import email_enqueue

        url = context["password_reset_url"]
        email_enqueue(
            template_key="password_reset",
            to=email,
            context={"name": user.get_full_name() or email, "email": email, "password_reset_url": url},
            idempotency_key=f"password_reset:{hashlib.sha256(url.encode()).hexdigest()[:40]}",
            language=getattr(user, "language", "en"),
        )
