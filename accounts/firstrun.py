"""A blank install's first vendor admin: from the command line (`manage.py create_vendor_admin`) or, while the
portal has no user at all, from its first screen (/welcome/), which answers 404 for good once anyone exists.

Kept beside, not inside, accounts/services.py: bootstrapping has no actor, and nothing else here should be reachable
before the first person exists. The service follows the house rules all the same (keyword-only, atomic, event).
"""

from django import forms
from django.contrib.auth import login
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from prm_portal.core.errors import InvalidTransition
from prm_portal.core.services import activity_record

from .events import AccountEvent
from .models import User

# pg_advisory_xact_lock key: two first-screen submissions at once create one admin, the other gets 404.
_FIRST_RUN_LOCK = 0x50524D01


class FirstRunClosed(Exception):
    """The portal already has a user: the first screen is gone."""


def first_run_open() -> bool:
    """True while nobody can sign in because no user exists yet."""
    return not User.objects.exists()


@transaction.atomic
def vendor_admin_create(*, actor, email, password, first_name="", last_name="", first_only=False) -> User:
    """Create a vendor admin (staff and superuser: the Django admin too). `actor` is None when the operator runs
    the command or the first screen creates the first one. With `first_only`, refuses (FirstRunClosed) unless the
    portal has no user at all, decided under a lock so that concurrent submissions create exactly one."""
    email = User.objects.normalize_email((email or "").strip()).lower()
    if not email:
        raise InvalidTransition(gettext("A user signs in with an email address: enter one."))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_FIRST_RUN_LOCK])
    # (SQLite: write transactions are IMMEDIATE in these settings, so they already run one at a time.)
    if first_only and User.objects.exists():
        raise FirstRunClosed
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidTransition(gettext("A user with the email %(email)s already exists.") % {"email": email})
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip(),
                role=User.Role.VENDOR_ADMIN, is_staff=True, is_superuser=True, is_active=True)
    validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise InvalidTransition(
            gettext("A user with the email %(email)s already exists.") % {"email": email}) from None
    activity_record(target=user, event=AccountEvent.USER_CREATED, actor=actor, user=email,
                    changes={"role": ["", User.Role.VENDOR_ADMIN]})
    return user


class FirstVendorAdminForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password (again)"),
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ: type the same password twice."))
        elif first:
            probe = User(email=cleaned.get("email") or "", first_name=cleaned.get("first_name") or "",
                         last_name=cleaned.get("last_name") or "")
            try:
                validate_password(first, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


@require_http_methods(["GET", "POST"])
def first_run(request):
    """The first screen of a blank install: create the first vendor admin, who is then signed in and sent to
    Setup. 404 for everyone as soon as any user exists."""
    if not first_run_open():
        raise Http404
    form = FirstVendorAdminForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = vendor_admin_create(actor=None, email=data["email"], password=data["password1"],
                                       first_name=data["first_name"], last_name=data["last_name"], first_only=True)
        except FirstRunClosed:
            raise Http404 from None
        except InvalidTransition as exc:
            form.add_error(None, str(exc))
        else:
            login(request, user, backend="accounts.backends.PortalModelBackend")
            return redirect(reverse("accounts:prm_settings"))
    return render(request, "accounts/first_admin_form.html", {"form": form})


first_run.prm_always_open = True


class FirstRunMiddleware:
    """On a blank install the sign-in page (where every visitor lands) hands over to the first screen."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method == "GET"
            and request.path == _path_of("account_login")
            and not request.user.is_authenticated
            and first_run_open()
            and _path_of("first_run")
        ):
            return redirect(_path_of("first_run"))
        return self.get_response(request)


def _path_of(name):
    try:
        return reverse(name)
    except NoReverseMatch:  # a URLconf without it (a test's own): nothing to hand over
        return None
