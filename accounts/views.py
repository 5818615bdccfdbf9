"""Accounts pages: the PRM setup wizard, partner accounts, contacts, partner users, business profiles."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prm_portal.core.errors import InvalidTransition
from prm_portal.core.services import recent_item_touch

from . import access, selectors, services
from .forms import (
    AccountShareForm,
    AvailabilityForm,
    BusinessProfileForm,
    ContactForm,
    InitialPasswordForm,
    LocationForm,
    PartnerAccountForm,
    PartnerUserEditForm,
    PartnerUserForm,
    PreferencesForm,
    PrmSettingsForm,
)
from .models import User
from .tokens import welcome_token_generator


def _posted(request):
    """Bound form data on POST (even an empty POST: an unticked box is an answer), None on GET."""
    return request.POST if request.method == "POST" else None


def staff_required(view):
    """Vendor-staff screens: partners get 404 (ids leak nothing), anonymous goes to sign-in."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_vendor_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def vendor_admin_required(view):
    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_vendor_admin:
            raise PermissionDenied(_("Only a vendor admin can change the portal setup."))
        return view(request, *args, **kwargs)

    return wrapper


def open_while_password_must_change(view):
    """The B4 gate and the A1 gate let these views through (they are where a new user sets a password)."""
    view.password_change_view = True
    view.prm_always_open = True
    return view


@login_required
def profile(request):
    """The signed-in person's profile: who they are, their partner, their language and time zone, and the links to
    their screens."""
    form = PreferencesForm(initial={"language": request.user.language, "time_zone": request.user.time_zone})
    away = AvailabilityForm(initial={"away_from": request.user.away_from, "away_until": request.user.away_until})
    return render(request, "accounts/profile.html", {"profile_user": request.user, "preferences_form": form,
                                                     "availability_form": away})


@login_required
@require_POST
def availability(request):
    """Save the person's away dates (issue 13: routing skips people who are away)."""
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        try:
            services.user_away_set(actor=request.user, **form.cleaned_data)
        except InvalidTransition as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your away dates are saved."))
            return redirect("accounts:profile")
    preferences = PreferencesForm(initial={"language": request.user.language, "time_zone": request.user.time_zone})
    return render(request, "accounts/profile.html", {"profile_user": request.user, "preferences_form": preferences,
                                                     "availability_form": form}, status=400)


@login_required
@require_POST
def preferences(request):
    """Save the person's language and time zone; the language takes effect at once (the switcher's cookie)."""
    from django.conf import settings as django_settings

    form = PreferencesForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/profile.html", {"profile_user": request.user, "preferences_form": form},
                      status=400)
    try:
        user = services.user_preferences_update(actor=request.user, language=form.cleaned_data["language"],
                                                time_zone=form.cleaned_data["time_zone"])
    except InvalidTransition as exc:
        form.add_error(None, str(exc))
        return render(request, "accounts/profile.html", {"profile_user": request.user, "preferences_form": form},
                      status=400)
    from django.utils import translation

    translation.activate(user.language)
    messages.success(request, _("Your language and time zone are saved."))
    response = redirect("accounts:profile")
    response.set_cookie(
        django_settings.LANGUAGE_COOKIE_NAME, user.language, max_age=django_settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax", secure=django_settings.LANGUAGE_COOKIE_SECURE,
        httponly=django_settings.LANGUAGE_COOKIE_HTTPONLY,
    )
    return response


# --- A2: Setup → Partners → Settings ---------------------------------------------------------------------------


@vendor_admin_required
def prm_settings(request):
    settings_row = selectors.portal_settings_get()
    form = PrmSettingsForm(_posted(request), initial={"enable": settings_row.prm_enabled})
    if request.method == "POST" and form.is_valid():
        if settings_row.prm_enabled:
            messages.error(request, _("Partner relationship management is already enabled and cannot be turned off."))
            return redirect("accounts:prm_settings")
        if not form.cleaned_data["enable"]:
            form.add_error("enable", _("Tick the box to enable partner relationship management."))
        else:
            try:
                services.prm_enable(actor=request.user)
            except InvalidTransition as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Partner relationship management is enabled."))
                return redirect("sharing:start")
    # The sharing rules in force are shown by the sharing app's template tag: accounts imports no higher app.
    return render(request, "accounts/prm_settings.html", {
        "form": form, "settings_row": selectors.portal_settings_get(),
    })


# --- B1/B2: partner accounts ------------------------------------------------------------------------------------


@staff_required
def account_list(request):
    accounts = selectors.partner_account_list_managed_by(user=request.user)
    return render(request, "accounts/account_list.html", {"accounts": accounts})


@staff_required
def account_create(request):
    form = PartnerAccountForm(_posted(request), actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.partner_account_create(actor=request.user, **form.cleaned_data)
        except InvalidTransition as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": account.name})
            return redirect("accounts:account_detail", pk=account.pk)
    return render(request, "accounts/account_form.html", {"form": form})


@staff_required
def account_detail(request, pk):
    account = selectors.partner_account_get_managed_by(user=request.user, pk=pk)
    url = reverse("accounts:account_detail", kwargs={"pk": account.pk})
    recent_item_touch(user=request.user, target=account, label=account.name, url=url)
    return render(request, "accounts/account_detail.html", {
        "account": account,
        "contacts": selectors.contact_list_for_account(partner_account=account),
        "users": selectors.partner_user_list_for_account(partner_account=account),
        "locations": account.locations.all(),
        "events": selectors.partner_activity_list(partner_account=account),
        "share_form": AccountShareForm() if request.user.is_vendor_admin else None,
        "shared_with": selectors.partner_account_shared_with(partner_account=account),
    })


@staff_required
def account_edit(request, pk):
    account = selectors.partner_account_get_managed_by(user=request.user, pk=pk)
    initial = {f: getattr(account, f) for f in ("name", "website", "phone", "country", "industry")}
    form = PartnerAccountForm(_posted(request), actor=request.user, initial={**initial, "owner": account.owner_id})
    if not request.user.is_vendor_admin:  # a channel manager keeps the owner as it is
        form.fields["owner"].queryset = User.objects.filter(pk=account.owner_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_account_update(actor=request.user, partner_account=account, **form.cleaned_data)
        except InvalidTransition as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Account saved."))
            return redirect("accounts:account_detail", pk=account.pk)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


@require_POST
@staff_required
def account_enable(request, pk):
    account = selectors.partner_account_get_managed_by(user=request.user, pk=pk)
    try:
        services.partner_account_enable(actor=request.user, partner_account=account)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(name)s is enabled as a partner.") % {"name": account.name})
    return redirect("accounts:account_detail", pk=account.pk)


@require_POST
@staff_required
def account_disable(request, pk):
    account = selectors.partner_account_get_managed_by(user=request.user, pk=pk)
    try:
        services.partner_account_disable(actor=request.user, partner_account=account)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(name)s is disabled as a partner; its users can no longer sign in. "
                                    "All its records are kept.") % {"name": account.name})
    return redirect("accounts:account_detail", pk=account.pk)


# --- B3: contacts and the New User page -------------------------------------------------------------------------


@staff_required
def contact_create(request, pk):
    account = selectors.partner_account_get_managed_by(user=request.user, pk=pk)
    form = ContactForm(_posted(request), partner_account=account)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(actor=request.user, partner_account=account, **form.cleaned_data)
        except InvalidTransition as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Contact %(name)s added.") % {"name": contact})
            return redirect("accounts:account_detail", pk=account.pk)
    return render(request, "accounts/contact_form.html", {"form": form, "account": account})


@staff_required
def user_enable(request, pk):
    """B3 "Enable partner user": the New User page, pre-filled from the contact."""
    contact = selectors.contact_get_for_user(user=request.user, pk=pk)
    account = contact.partner_account
    if contact.user_id:
        messages.info(request, _("%(contact)s is already a partner user.") % {"contact": contact})
        return redirect("accounts:account_detail", pk=account.pk)
    initial = {"email": contact.email, "first_name": contact.first_name, "last_name": contact.last_name,
               "location": contact.location_id, "role": User.Role.PARTNER_USER}
    form = PartnerUserForm(_posted(request), initial=initial, partner_account=account)
    problems = []
    if not account.is_partner:
        problems.append(_("%(name)s is not enabled as a partner. Enable it first (Manage external account → "
                          "Enable as partner).") % {"name": account.name})
    if not contact.email:
        problems.append(_("This contact has no email address. A partner user signs in with one: enter it below."))
    if request.method == "POST" and form.is_valid():
        try:
            user = services.partner_user_enable(actor=request.user, contact=contact, **form.cleaned_data)
        except InvalidTransition as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(user)s is a partner user now; the welcome email with a one-time link "
                                        "to set a password is on its way to %(email)s.")
                             % {"user": user, "email": user.email})
            return redirect("accounts:account_detail", pk=account.pk)
    return render(request, "accounts/user_enable.html", {
        "form": form, "contact": contact, "account": account, "problems": problems,
    })


@login_required
def user_invite(request, pk):
    """H6: a partner admin invites a colleague (their channel manager may too); anyone else gets 404."""
    account = selectors.partner_account_get_for_user(user=request.user, pk=pk)
    if not access.partner_user_can_invite(request.user, account):
        raise Http404("No such partner account.")
    form = PartnerUserForm(_posted(request), initial={"role": User.Role.PARTNER_USER,
                                                     "language": request.user.language},
                           partner_account=account)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.partner_user_invite(actor=request.user, partner_account=account, **form.cleaned_data)
        except InvalidTransition as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(user)s is invited: the welcome email with a one-time link to set a "
                                        "password is on its way to %(email)s.") % {"user": user, "email": user.email})
            return redirect("accounts:business_profile", pk=account.pk)
    return render(request, "accounts/user_invite.html", {"form": form, "account": account})


@login_required
def user_edit(request, pk):
    """B7: role and location scope of one partner person (their channel manager or their partner admin)."""
    person = selectors.partner_user_get_for_user(user=request.user, pk=pk)
    account = person.partner_account
    form = PartnerUserEditForm(_posted(request), partner_account=account,
                               initial={"role": person.role, "location": person.location_id})
    back = ("accounts:business_profile" if request.user.is_partner else "accounts:account_detail", account.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_user_update(actor=request.user, user=person, **form.cleaned_data)
        except InvalidTransition as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(user)s saved.") % {"user": person})
            return redirect(*back)
    return render(request, "accounts/user_edit.html", {
        "form": form, "person": person, "account": account, "back_url": reverse(back[0], args=[back[1]]),
    })


@require_POST
@login_required
def user_set_active(request, pk):
    person = selectors.partner_user_get_for_user(user=request.user, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.partner_user_set_active(actor=request.user, user=person, active=active)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, (_("%(user)s can sign in again.") if active
                                   else _("%(user)s is deactivated.")) % {"user": person})
    if request.user.is_partner:
        return redirect("accounts:business_profile", pk=person.partner_account_id)
    return redirect("accounts:account_detail", pk=person.partner_account_id)


@require_POST
@staff_required
def user_welcome_resend(request, pk):
    person = selectors.partner_user_get_for_user(user=request.user, pk=pk)
    try:
        services.partner_user_welcome_resend(actor=request.user, user=person)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("A new welcome email is on its way to %(email)s.") % {"email": person.email})
    return redirect("accounts:account_detail", pk=person.partner_account_id)


@require_POST
@vendor_admin_required
def account_share(request, pk):
    account = selectors.partner_account_get_managed_by(user=request.user, pk=pk)
    form = AccountShareForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a channel manager."))
    else:
        try:
            services.partner_account_share(actor=request.user, partner_account=account,
                                           user=form.cleaned_data["channel_manager"])
        except InvalidTransition as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(name)s is shared with %(user)s.")
                             % {"name": account.name, "user": form.cleaned_data["channel_manager"]})
    return redirect("accounts:account_detail", pk=account.pk)


# --- B4: the welcome link and the forced password change --------------------------------------------------------


def _user_from_uid(uidb64):
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        return User.objects.filter(pk=int(pk), is_active=True).first()
    except (TypeError, ValueError, OverflowError):
        return None


@open_while_password_must_change
def welcome(request, uidb64, token):
    """The welcome email's one-time link: set a password, and you are signed in on your home page."""
    user = _user_from_uid(uidb64)
    if user is None or not welcome_token_generator.check_token(user, token):
        return render(request, "accounts/welcome_invalid.html", status=400)
    form = InitialPasswordForm(user, _posted(request))
    if request.method == "POST" and form.is_valid():
        if request.user.is_authenticated and request.user.pk != user.pk:
            logout(request)
        user = services.user_password_set(actor=user, password=form.cleaned_data["new_password1"])
        login(request, user, backend="accounts.backends.PortalModelBackend")
        messages.success(request, _("Your password is set. Welcome!"))
        return redirect("reports:home")
    return render(request, "accounts/welcome.html", {"form": form, "person": user})


@open_while_password_must_change
@login_required
def password_required(request):
    """B4: a temporary password must be replaced before anything else."""
    if not request.user.must_change_password:
        return redirect("account_change_password")
    form = InitialPasswordForm(request.user, _posted(request))
    if request.method == "POST" and form.is_valid():
        user = services.user_password_set(actor=request.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, _("Your new password is saved."))
        return redirect("reports:home")
    return render(request, "accounts/password_required.html", {"form": form})


# --- B8: business profile, locations and branding ---------------------------------------------------------------


@login_required
def my_business_profile(request):
    if request.user.is_partner:
        return redirect("accounts:business_profile", pk=request.user.partner_account_id)
    if request.user.is_vendor_staff:
        return redirect("accounts:account_list")
    raise Http404


def _can_edit_profile(user, account):
    if user.is_partner:
        return user.is_partner_admin and user.partner_account_id == account.pk
    return selectors.user_can_manage_partner_account(user=user, partner_account=account)


@login_required
def business_profile(request, pk):
    profile = selectors.business_profile_get_for_user(user=request.user, partner_account_pk=pk)
    account = profile.partner_account
    can_edit = _can_edit_profile(request.user, account)
    initial = {
        "keywords": ", ".join(profile.keywords), "company_sizes": profile.company_sizes,
        "industries": ", ".join(profile.industries), "description": profile.description,
        "logo_url": account.logo_url, "primary_color": account.primary_color,
        "listed": profile.listed, "public_description": profile.public_description,
    }
    form = BusinessProfileForm(_posted(request), initial=initial)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("Only your partner admin can change the business profile."))
        if form.is_valid():
            try:
                services.business_profile_update(actor=request.user, partner_account=account, **form.cleaned_data)
            except InvalidTransition as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Business profile saved."))
                return redirect("accounts:business_profile", pk=account.pk)
    return render(request, "accounts/business_profile.html", {
        "profile": profile, "account": account, "form": form, "can_edit": can_edit,
        "locations": account.locations.all(),
        "users": selectors.partner_user_list_for_account(partner_account=account)
        if request.user.is_partner_admin else None,
    })


@login_required
def location_create(request, pk):
    account = selectors.partner_account_get_for_user(user=request.user, pk=pk)
    if not _can_edit_profile(request.user, account):
        raise PermissionDenied(_("Only your partner admin can change the locations."))
    form = LocationForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.location_save(actor=request.user, partner_account=account, **form.cleaned_data)
        except InvalidTransition as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Location saved."))
            return redirect("accounts:business_profile", pk=account.pk)
    return render(request, "accounts/location_form.html", {"form": form, "account": account})


@login_required
def location_edit(request, pk):
    location = selectors.location_get_for_user(user=request.user, pk=pk)
    account = location.partner_account
    if not _can_edit_profile(request.user, account):
        raise PermissionDenied(_("Only your partner admin can change the locations."))
    form = LocationForm(_posted(request), instance=location)
    if request.method == "POST" and form.is_valid():
        fields = {f: form.cleaned_data[f] for f in LocationForm.Meta.fields}
        try:
            services.location_save(actor=request.user, partner_account=account, location=location, **fields)
        except InvalidTransition as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Location saved."))
            return redirect("accounts:business_profile", pk=account.pk)
    return render(request, "accounts/location_form.html", {"form": form, "account": account, "location": location})
