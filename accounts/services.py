"""Writes for accounts: every state change is one function here, with its activity event."""

import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from prm_portal.core.errors import InvalidTransition, NotPermitted
from prm_portal.core.services import activity_record

from . import access
from .emails import partner_welcome_enqueue
from .events import AccountEvent
from .models import BusinessProfile, Contact, PartnerAccount, PartnerLocation, PortalSettings, User

COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


@transaction.atomic
def prm_enable(*, actor) -> PortalSettings:
    """Switch partner relationship management on, for good (A2). The database refuses to switch it off."""
    if not actor.is_vendor_admin:
        raise InvalidTransition(_("Only a vendor admin can enable partner relationship management."))
    settings_row, _created = PortalSettings.objects.select_for_update().get_or_create(id=1)
    if settings_row.prm_enabled:
        raise InvalidTransition(_("Partner relationship management is already enabled."))
    settings_row.prm_enabled = True
    settings_row.prm_enabled_at = timezone.now()
    settings_row.prm_enabled_by = actor
    settings_row.save()
    activity_record(target=settings_row, event=AccountEvent.PRM_ENABLED, actor=actor)
    return settings_row


def _require_manager(actor, partner_account):
    if not (access.is_vendor_staff(actor) and access.manages_partner(actor, partner_account.pk)):
        raise NotPermitted(_("You do not manage this partner account."))


def _require_user_admin(actor, user):
    """Vendor staff who manage the user's partner, or the partner's own admin (delegated administration)."""
    if not access.user_can_administer(actor, user):
        raise NotPermitted(_("Only your partner admin or your channel manager manages your partner's users."))


@transaction.atomic
def partner_account_create(
    *, actor, name, owner=None, website="", phone="", country="", industry=""
) -> PartnerAccount:
    """B1: a company record owned by a channel manager (the creator unless another is chosen)."""
    if not actor.is_vendor_staff:
        raise InvalidTransition(_("Only vendor staff can create partner accounts."))
    owner = owner or actor
    if not owner.is_vendor_staff:
        raise InvalidTransition(_("A partner account is owned by a channel manager."))
    if not actor.is_vendor_admin and owner != actor:
        raise InvalidTransition(_("Only a vendor admin can create an account owned by someone else."))
    name = name.strip()
    if not name:
        raise InvalidTransition(_("An account needs a name."))
    account = PartnerAccount.objects.create(
        name=name, owner=owner, website=website, phone=phone, country=country.upper(), industry=industry
    )
    BusinessProfile.objects.create(partner_account=account)
    activity_record(target=account, event=AccountEvent.CREATED, actor=actor, partner_account=account, owner=owner.email)
    return account


@transaction.atomic
def partner_account_update(*, actor, partner_account, **fields) -> PartnerAccount:
    """B1: edit the company record (name, owner, contact details); every change lands on its timeline."""
    account = PartnerAccount.objects.select_for_update().get(pk=partner_account.pk)
    _require_manager(actor, account)
    owner = fields.get("owner")
    if owner is not None and owner.pk != account.owner_id:
        if not actor.is_vendor_admin:
            raise InvalidTransition(_("Only a vendor admin can give an account to another channel manager."))
        if not owner.is_vendor_staff:
            raise InvalidTransition(_("A partner account is owned by a channel manager."))
    if "name" in fields and not fields["name"].strip():
        raise InvalidTransition(_("An account needs a name."))
    if "country" in fields:
        fields["country"] = fields["country"].upper()
    changes = {}
    for field, value in fields.items():
        old = getattr(account, field)
        if old != value:
            changes[field] = [str(old), str(value)]
            setattr(account, field, value)
    if changes:
        account.save(update_fields=list(changes))
        activity_record(target=account, event=AccountEvent.UPDATED, actor=actor, partner_account=account,
                        changes=changes)
    return account


@transaction.atomic
def partner_account_enable(*, actor, partner_account) -> PartnerAccount:
    """B2 "Enable as partner": its people can then be enabled as partner users."""
    account = PartnerAccount.objects.select_for_update().get(pk=partner_account.pk)
    _require_manager(actor, account)
    if not PortalSettings.objects.filter(id=1, prm_enabled=True).exists():
        raise InvalidTransition(_("Partner relationship management is not enabled yet: a vendor admin enables it "
                                  "in Setup → Partners → Settings."))
    if account.is_partner:
        raise InvalidTransition(_("%(name)s is already enabled as a partner.") % {"name": account.name})
    account.is_partner = True
    account.partner_enabled_at = timezone.now()
    account.partner_disabled_at = None
    account.save(update_fields=["is_partner", "partner_enabled_at", "partner_disabled_at"])
    BusinessProfile.objects.get_or_create(partner_account=account)
    activity_record(target=account, event=AccountEvent.PARTNER_ENABLED, actor=actor, partner_account=account,
                    changes={"is_partner": [False, True]})
    return account


@transaction.atomic
def partner_account_disable(*, actor, partner_account) -> PartnerAccount:
    """B2: disabling a partner deactivates its users and keeps every record it has."""
    account = PartnerAccount.objects.select_for_update().get(pk=partner_account.pk)
    _require_manager(actor, account)
    if not account.is_partner:
        raise InvalidTransition(_("%(name)s is not enabled as a partner.") % {"name": account.name})
    account.is_partner = False
    account.partner_disabled_at = timezone.now()
    account.save(update_fields=["is_partner", "partner_disabled_at"])
    deactivated = list(account.users.filter(is_active=True).values_list("email", flat=True))
    account.users.filter(is_active=True).update(is_active=False)
    activity_record(target=account, event=AccountEvent.PARTNER_DISABLED, actor=actor, partner_account=account,
                    changes={"is_partner": [True, False]}, deactivated_users=deactivated)
    return account


@transaction.atomic
def contact_create(
    *, actor, partner_account, first_name, last_name, email="", phone="", title="", location=None
) -> Contact:
    """B3: a person at a partner account."""
    _require_manager(actor, partner_account)
    if location is not None and location.partner_account_id != partner_account.pk:
        raise InvalidTransition(_("That location belongs to another partner."))
    contact = Contact.objects.create(
        partner_account=partner_account, first_name=first_name.strip(), last_name=last_name.strip(),
        email=email.strip().lower(), phone=phone, title=title, location=location,
    )
    activity_record(target=partner_account, event=AccountEvent.CONTACT_ADDED, actor=actor,
                    partner_account=partner_account, contact=str(contact), email=contact.email)
    return contact


@transaction.atomic
def partner_user_enable(
    *, actor, contact, email, first_name, last_name, role, location=None, language="en"
) -> User:
    """B3 "Enable partner user": create the sign-in and send the welcome email with a one-time link."""
    contact = Contact.objects.select_for_update().select_related("partner_account").get(pk=contact.pk)
    account = PartnerAccount.objects.select_for_update().get(pk=contact.partner_account_id)
    _require_manager(actor, account)
    return _partner_user_create(actor=actor, account=account, contact=contact, email=email, first_name=first_name,
                                last_name=last_name, role=role, location=location, language=language)


@transaction.atomic
def partner_user_invite(
    *, actor, partner_account, email, first_name, last_name, role, location=None, language="en"
) -> User:
    """H6 delegated administration: a partner admin (or the partner's channel manager) invites a colleague. The
    person is recorded as a contact of the partner and gets the welcome email with a one-time link."""
    account = PartnerAccount.objects.select_for_update().get(pk=partner_account.pk)
    if not access.partner_user_can_invite(actor, account):
        raise NotPermitted(_("Only your partner admin or your channel manager adds your partner's users."))
    if not (first_name or "").strip() or not (last_name or "").strip():
        raise InvalidTransition(_("Enter the person's first and last name."))
    contact = Contact.objects.create(
        partner_account=account, first_name=first_name.strip(), last_name=last_name.strip(),
        email=(email or "").strip().lower(), location=location if location and location.partner_account_id == account.pk
        else None,
    )
    return _partner_user_create(actor=actor, account=account, contact=contact, email=email, first_name=first_name,
                                last_name=last_name, role=role, location=location, language=language)


def _partner_user_create(*, actor, account, contact, email, first_name, last_name, role, location, language):
    """The sign-in for a contact, its event and its welcome email; the caller checked who may do it."""
    if contact.user_id:
        raise InvalidTransition(_("%(contact)s is already a partner user.") % {"contact": contact})
    if not account.is_partner:
        raise InvalidTransition(
            _("%(name)s is not enabled as a partner. Enable it first (Manage external account → Enable as partner).")
            % {"name": account.name}
        )
    email = (email or "").strip().lower()
    if not email:
        raise InvalidTransition(_("A partner user signs in with an email address, and this contact has none."))
    if role not in User.PARTNER_ROLES:
        raise InvalidTransition(_("Choose partner admin or partner user."))
    if location is not None and location.partner_account_id != account.pk:
        raise InvalidTransition(_("That location belongs to another partner."))
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidTransition(_("A user with the email %(email)s already exists.") % {"email": email})
    try:
        with transaction.atomic():
            user = User(
                email=email, first_name=first_name.strip(), last_name=last_name.strip(), role=role,
                partner_account=account, location=location, language=language, phone=contact.phone,
                title=contact.title, must_change_password=True, is_active=True,
            )
            user.set_unusable_password()
            user.save()
    except IntegrityError:
        raise InvalidTransition(_("A user with the email %(email)s already exists.") % {"email": email}) from None
    contact.user = user
    if not contact.email:
        contact.email = email
    contact.save(update_fields=["user", "email"])
    activity_record(target=account, event=AccountEvent.PARTNER_USER_ENABLED, actor=actor, partner_account=account,
                    user=user.email, role=role)
    partner_welcome_enqueue(user=user)
    return user


@transaction.atomic
def partner_user_welcome_resend(*, actor, user) -> User:
    """B3: send a fresh welcome email (a new one-time link) to someone who has not signed in yet."""
    user = User.objects.select_for_update(of=("self",)).select_related("partner_account").get(pk=user.pk)
    if not user.is_partner:
        raise InvalidTransition(_("Only partner users get a welcome email."))
    _require_manager(actor, user.partner_account)
    if user.last_login is not None:
        raise InvalidTransition(_("%(user)s has already signed in: they can reset their password from the "
                                  "sign-in page.") % {"user": user})
    if not user.is_active or not user.partner_account.is_partner:
        raise InvalidTransition(_("%(user)s is inactive.") % {"user": user})
    activity_record(target=user.partner_account, event=AccountEvent.WELCOME_RESENT, actor=actor,
                    partner_account=user.partner_account, user=user.email)
    partner_welcome_enqueue(user=user)
    return user


@transaction.atomic
def partner_user_update(*, actor, user, role, location=None) -> User:
    """B7: change a partner person's role or location scope (a scoped user sees that location's referrals only)."""
    user = User.objects.select_for_update(of=("self",)).select_related("partner_account").get(pk=user.pk)
    if not user.is_partner:
        raise InvalidTransition(_("Only partner users are managed here."))
    _require_user_admin(actor, user)
    if actor.pk == user.pk and role != user.role:
        raise InvalidTransition(_("You cannot change your own role."))
    if role not in User.PARTNER_ROLES:
        raise InvalidTransition(_("Choose partner admin or partner user."))
    if location is not None and location.partner_account_id != user.partner_account_id:
        raise InvalidTransition(_("That location belongs to another partner."))
    changes = {}
    if user.role != role:
        changes["role"] = [user.role, role]
    if user.location_id != (location.pk if location else None):
        changes["location"] = [str(user.location or ""), str(location or "")]
    if changes:
        user.role = role
        user.location = location
        user.save(update_fields=["role", "location"])
        activity_record(target=user.partner_account, event=AccountEvent.PARTNER_USER_UPDATED, actor=actor,
                        partner_account=user.partner_account, user=user.email, changes=changes)
    return user


@transaction.atomic
def partner_user_set_active(*, actor, user, active) -> User:
    """Deactivate or reactivate one partner user (a deactivated user cannot sign in)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_partner:
        raise InvalidTransition(_("Only partner users are managed here."))
    _require_user_admin(actor, user)
    if actor.pk == user.pk:
        raise InvalidTransition(_("You cannot deactivate yourself."))
    if user.is_active == active:
        raise InvalidTransition(_("%(user)s is already %(state)s.") % {
            "user": user, "state": _("active") if active else _("inactive")})
    if active and not user.partner_account.is_partner:
        raise InvalidTransition(_("%(name)s is not enabled as a partner.") % {"name": user.partner_account.name})
    user.is_active = active
    user.save(update_fields=["is_active"])
    event = AccountEvent.PARTNER_USER_ACTIVATED if active else AccountEvent.PARTNER_USER_DEACTIVATED
    activity_record(target=user.partner_account, event=event, actor=actor, partner_account=user.partner_account,
                    user=user.email, changes={"is_active": [not active, active]})
    return user


@transaction.atomic
def partner_account_share(*, actor, partner_account, user) -> PartnerAccount:
    """G2: a vendor admin opens an account to a channel manager who does not own it (a django-guardian grant)."""
    from django.contrib.auth.models import Permission

    from .models import PartnerAccountUserObjectPermission

    if not actor.is_vendor_admin:
        raise InvalidTransition(_("Only a vendor admin can share a partner account."))
    if not user.is_channel_manager or not user.is_active:
        raise InvalidTransition(_("Partner accounts are shared with active channel managers."))
    if partner_account.owner_id == user.pk:
        raise InvalidTransition(_("%(user)s already owns %(name)s.") % {"user": user, "name": partner_account.name})
    permission = Permission.objects.get(content_type__app_label="accounts", codename="view_partneraccount")
    _grant, created = PartnerAccountUserObjectPermission.objects.get_or_create(
        user=user, permission=permission, content_object=partner_account
    )
    if not created:
        raise InvalidTransition(_("%(name)s is already shared with %(user)s.") % {
            "user": user, "name": partner_account.name})
    activity_record(target=partner_account, event=AccountEvent.SHARED, actor=actor, partner_account=partner_account,
                    channel_manager=user.email)
    return partner_account


@transaction.atomic
def user_password_set(*, actor, password) -> User:
    """B4/G1: the person sets their own password (first one, temporary replaced, changed or reset).

    Works on the given instance so the caller's session hash follows the new password.
    """
    was_temporary = actor.must_change_password
    actor.set_password(password)
    actor.must_change_password = False
    actor.save(update_fields=["password", "must_change_password"])
    activity_record(target=actor, event=AccountEvent.PASSWORD_SET, actor=actor, partner_account=actor.partner_account,
                    replaced_temporary=was_temporary)
    return actor


@transaction.atomic
def user_preferences_update(*, actor, language, time_zone) -> User:
    """The signed-in person's own language and time zone (pages and emails follow both)."""
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        raise InvalidTransition(_("Choose one of the portal's languages."))
    if time_zone and time_zone not in time_zone_names():
        raise InvalidTransition(_("Choose a time zone from the list."))
    user = User.objects.select_for_update().get(pk=actor.pk)
    changes = {f: [getattr(user, f), v] for f, v in (("language", language), ("time_zone", time_zone))
               if getattr(user, f) != v}
    if not changes:
        return user
    user.language, user.time_zone = language, time_zone
    user.save(update_fields=["language", "time_zone"])
    activity_record(target=user, event=AccountEvent.PREFERENCES_CHANGED, actor=actor,
                    partner_account=user.partner_account, changes=changes)
    return user


@transaction.atomic
def user_away_set(*, actor, away_from, away_until) -> User:
    """The signed-in person's own away dates (both included; blank ends are open): routing gives them no new
    lead while they are away (issue 13). An end before the start is refused."""
    if away_from and away_until and away_until < away_from:
        raise InvalidTransition(_("The last day away cannot be before the first."))
    user = User.objects.select_for_update().get(pk=actor.pk)
    changes = {f: [str(getattr(user, f) or ""), str(v or "")] for f, v in
               (("away_from", away_from), ("away_until", away_until)) if getattr(user, f) != v}
    if not changes:
        return user
    user.away_from, user.away_until = away_from, away_until
    user.save(update_fields=["away_from", "away_until"])
    activity_record(target=user, event=AccountEvent.AWAY_CHANGED, actor=actor, partner_account=user.partner_account,
                    changes=changes)
    return user


def time_zone_names() -> frozenset:
    """The IANA time zone names a person may choose (the system's tz database)."""
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def _require_profile_editor(actor, partner_account):
    if actor.is_partner:
        if not (actor.is_partner_admin and actor.partner_account_id == partner_account.pk):
            raise InvalidTransition(_("Only your partner admin can change the business profile."))
    else:
        _require_manager(actor, partner_account)


# Words of the finder's own addresses (/find/inquiry/, /find/thanks/): never a partner's public address.
RESERVED_PUBLIC_SLUGS = {"inquiry", "thanks"}
PUBLIC_DESCRIPTION_MAX_LENGTH = 2000


def _public_slug_for(account) -> str:
    """A free public address for the partner's finder page, from its name (ascii, like "alpha-partners-2")."""
    base = slugify(account.name)[:70].strip("-") or "partner"
    if base in RESERVED_PUBLIC_SLUGS:
        base = f"{base}-partner"
    taken = set(BusinessProfile.objects.filter(public_slug__startswith=base).values_list("public_slug", flat=True))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@transaction.atomic
def business_profile_update(
    *, actor, partner_account, keywords, company_sizes, industries, description="", logo_url="", primary_color="",
    listed=None, public_description=None,
) -> BusinessProfile:
    """B8 (and B5 branding): what the partner sells and to whom, and how its portal looks. `listed` and
    `public_description` (None: unchanged) say whether and how the public partner finder shows the partner; the
    first listing gives the profile its public address for good."""
    _require_profile_editor(actor, partner_account)
    if primary_color and not COLOR_RE.match(primary_color):
        raise InvalidTransition(_("A colour is written like #1f5fbf."))
    if public_description is not None and len(public_description) > PUBLIC_DESCRIPTION_MAX_LENGTH:
        raise InvalidTransition(_("The public description is too long (at most %(max)s characters).")
                                % {"max": PUBLIC_DESCRIPTION_MAX_LENGTH})
    profile, _created = BusinessProfile.objects.select_for_update().get_or_create(partner_account=partner_account)
    account = PartnerAccount.objects.select_for_update().get(pk=partner_account.pk)
    new = {
        "keywords": sorted({k.strip().lower() for k in keywords if k.strip()}),
        "company_sizes": list(company_sizes),
        "industries": [i.strip() for i in industries if i.strip()],
        "description": description,
    }
    if listed is not None:
        new["listed"] = bool(listed)
    if public_description is not None:
        new["public_description"] = public_description.strip()
    changes = {}
    for field, value in new.items():
        if getattr(profile, field) != value:
            changes[field] = [getattr(profile, field), value]
            setattr(profile, field, value)
    if profile.listed and not profile.public_slug:
        profile.public_slug = _public_slug_for(account)
        changes["public_slug"] = [None, profile.public_slug]
    for attempt in range(3):
        try:
            with transaction.atomic():
                profile.save()
            break
        except IntegrityError:  # a same-named partner took the address meanwhile: the next free one
            if attempt == 2 or "public_slug" not in changes:
                raise
            profile.public_slug = _public_slug_for(account)
            changes["public_slug"] = [None, profile.public_slug]
    for field, value in (("logo_url", logo_url), ("primary_color", primary_color)):
        if getattr(account, field) != value:
            changes[field] = [getattr(account, field), value]
            setattr(account, field, value)
    account.save(update_fields=["logo_url", "primary_color"])
    if changes:
        activity_record(target=account, event=AccountEvent.BUSINESS_PROFILE_UPDATED, actor=actor,
                        partner_account=account, changes=changes)
    return profile


@transaction.atomic
def location_save(*, actor, partner_account, location=None, **fields) -> PartnerLocation:
    """B8: add or edit one of the partner's locations with its contact details."""
    _require_profile_editor(actor, partner_account)
    name = fields.get("name", "").strip()
    if not name:
        raise InvalidTransition(_("A location needs a name."))
    clash = PartnerLocation.objects.filter(partner_account=partner_account, name__iexact=name)
    if location is not None:
        clash = clash.exclude(pk=location.pk)
    if clash.exists():
        raise InvalidTransition(_("There is already a location called %(name)s.") % {"name": name})
    if location is None:
        location = PartnerLocation.objects.create(partner_account=partner_account, **fields)
        activity_record(target=partner_account, event=AccountEvent.LOCATION_ADDED, actor=actor,
                        partner_account=partner_account, location=location.name)
        return location
    location = PartnerLocation.objects.select_for_update().get(pk=location.pk, partner_account=partner_account)
    changes = {}
    for field, value in fields.items():
        if getattr(location, field) != value:
            changes[field] = [getattr(location, field), value]
            setattr(location, field, value)
    location.save()
    if changes:
        activity_record(target=partner_account, event=AccountEvent.LOCATION_UPDATED, actor=actor,
                        partner_account=partner_account, location=location.name, changes=changes)
    return location


# --- the Django admin's user screens -------------------------------------------------------------------------------

# Only a vendor admin changes these (access.user_can_administer_staff).
USER_STAFF_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")
# What the admin's user form changes; the password has its own service and never reaches an event.
USER_ADMIN_FIELDS = ("email", "first_name", "last_name", "phone", "title", "language", "role", "partner_account",
                     "location", "must_change_password", "is_active", *USER_STAFF_FIELDS)
# What nobody changes on their own account (no one raises or locks out themselves).
_USER_SELF_LOCKED = ("role", "partner_account", "is_active", *USER_STAFF_FIELDS)
_USER_MANY = ("groups", "user_permissions")


def _user_shape_check(actor, *, role, partner_account, location):
    """The role is one the actor may give; partner people belong to a partner the actor manages, staff to none."""
    if role not in access.user_roles_assignable_by(actor):
        raise NotPermitted(_("You cannot give that role."))
    if role in User.PARTNER_ROLES:
        if partner_account is None:
            raise InvalidTransition(_("A partner admin or partner user belongs to a partner account: choose one."))
        if not access.manages_partner(actor, partner_account.pk):
            raise NotPermitted(_("You do not manage this partner account."))
    elif partner_account is not None:
        raise InvalidTransition(_("Vendor staff belong to no partner account: leave it empty."))
    if location is not None and (partner_account is None or location.partner_account_id != partner_account.pk):
        raise InvalidTransition(_("That location belongs to another partner."))


def _event_value(value):
    if value is None:
        return ""
    if isinstance(value, (bool, int, str)):
        return value
    return str(value)


@transaction.atomic
def user_admin_create(
    *, actor, email, role, partner_account=None, first_name="", last_name="", password=None
) -> User:
    """The admin's Add user. Channel managers add partner people to the partners they manage; vendor admins add
    anyone, staff included. A partner person added without a password gets the welcome email with a one-time link;
    a password chosen by someone else is temporary (changed at the first sign-in)."""
    email = (email or "").strip().lower()
    if not email:
        raise InvalidTransition(_("A user signs in with an email address: enter one."))
    _user_shape_check(actor, role=role, partner_account=partner_account, location=None)
    if partner_account is not None and not partner_account.is_partner:
        raise InvalidTransition(_("%(name)s is not enabled as a partner.") % {"name": partner_account.name})
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidTransition(_("A user with the email %(email)s already exists.") % {"email": email})
    user = User(email=email, role=role, partner_account=partner_account, first_name=first_name.strip(),
                last_name=last_name.strip(), is_staff=role in User.VENDOR_ROLES, is_active=True)
    if password:
        user.set_password(password)
        user.must_change_password = True
    else:
        user.set_unusable_password()
        user.must_change_password = partner_account is not None
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise InvalidTransition(_("A user with the email %(email)s already exists.") % {"email": email}) from None
    activity_record(target=partner_account or user, event=AccountEvent.USER_CREATED, actor=actor,
                    partner_account=partner_account, user=email, changes={"role": ["", role]})
    if partner_account is not None and not password:
        partner_welcome_enqueue(user=user)
    return user


@transaction.atomic
def user_admin_update(*, actor, user, changes) -> User:
    """The admin's Change user: `changes` maps fields of USER_ADMIN_FIELDS to their new values. Channel managers
    change the partner people of the partners they manage, never staff fields, partner accounts or staff roles;
    nobody changes their own role, partner, status or permissions. One event lists each change old → new."""
    unknown = set(changes) - set(USER_ADMIN_FIELDS)
    if unknown:
        raise ValueError(f"user_admin_update does not change {sorted(unknown)}")
    user = User.objects.select_for_update().get(pk=user.pk)
    if not access.user_can_administer(actor, user):
        raise NotPermitted(_("You do not administer this user."))
    staff_only = set(changes) & {*USER_STAFF_FIELDS, "partner_account"}
    if (staff_only or not user.is_partner) and not access.user_can_administer_staff(actor):
        raise NotPermitted(_("Only a vendor admin changes staff accounts, partner accounts of people, groups and "
                             "permissions."))
    if actor.pk == user.pk and set(changes) & set(_USER_SELF_LOCKED):
        raise NotPermitted(_("You cannot change your own role, partner, status or permissions."))
    new = {field: changes.get(field, getattr(user, field)) for field in ("role", "partner_account", "location")}
    _user_shape_check(actor, **new)
    if new["role"] in User.PARTNER_ROLES and (changes.get("is_staff", user.is_staff)
                                            or changes.get("is_superuser", user.is_superuser)):
        raise InvalidTransition(_("Partner people never use the admin site: they are neither staff nor superusers."))
    email = changes.get("email")
    if email is not None:
        email = changes["email"] = email.strip().lower()
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise InvalidTransition(_("A user with the email %(email)s already exists.") % {"email": email})
    recorded = {}
    for field, value in changes.items():
        if field in _USER_MANY:
            related = getattr(user, field)
            old_names = sorted(str(item) for item in related.all())
            new_names = sorted(str(item) for item in value)
            if old_names != new_names:
                related.set(list(value))
                recorded[field] = [old_names, new_names]
        elif getattr(user, field) != value:
            recorded[field] = [_event_value(getattr(user, field)), _event_value(value)]
            setattr(user, field, value)
    plain = [field for field in recorded if field not in _USER_MANY]
    if plain:
        user.save(update_fields=plain)
    if recorded:
        activity_record(target=user.partner_account or user, event=AccountEvent.USER_UPDATED, actor=actor,
                        partner_account=user.partner_account, user=user.email, changes=recorded)
    return user


@transaction.atomic
def user_admin_password_set(*, actor, user, password) -> User:
    """The admin's Set password, for vendor admins only (nobody else sets another person's password). `password`
    None turns password sign-in off. A password chosen by someone else is temporary. The event names who did it,
    never the password or its hash."""
    if not access.user_can_administer_staff(actor):
        raise NotPermitted(_("Only a vendor admin sets another person's password."))
    target = User.objects.select_for_update().get(pk=user.pk)
    if password is None:
        target.set_unusable_password()
        event = AccountEvent.USER_PASSWORD_DISABLED
    else:
        target.set_password(password)
        target.must_change_password = target.pk != actor.pk
        event = AccountEvent.USER_PASSWORD_SET
    target.save(update_fields=["password", "must_change_password"])
    activity_record(target=target.partner_account or target, event=event, actor=actor,
                    partner_account=target.partner_account, user=target.email)
    return target


CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "title", "location")


@transaction.atomic
def contact_update(*, actor, contact, **fields) -> Contact:
    """B3: correct a partner contact's details (the admin's Change contact); each change old → new on the
    partner's timeline. A contact stays with its partner."""
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"contact_update does not change {sorted(unknown)}")
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    account = PartnerAccount.objects.get(pk=contact.partner_account_id)
    _require_manager(actor, account)
    location = fields.get("location", contact.location)
    if location is not None and location.partner_account_id != account.pk:
        raise InvalidTransition(_("That location belongs to another partner."))
    if "email" in fields:
        fields["email"] = (fields["email"] or "").strip().lower()
    changes = {}
    for field, value in fields.items():
        old = getattr(contact, field)
        if old != value:
            changes[field] = [_event_value(old), _event_value(value)]
            setattr(contact, field, value)
    if changes:
        contact.save(update_fields=list(changes))
        activity_record(target=account, event=AccountEvent.CONTACT_UPDATED, actor=actor, partner_account=account,
                        contact=str(contact), changes=changes)
    return contact
