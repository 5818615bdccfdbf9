"""The event types an endpoint may choose (H5), grouped, each with a name a person reads. Only types registered in
this installation are offered; internal ones (conflicts between partners...) only to vendor admins."""

from django.utils.translation import gettext_lazy as _

from prm_portal.core.events import event_type_for

GROUPS = [
    (_("Leads"), [
        ("lead.assigned_user", _("Lead assigned to a person")),
        ("lead.assigned_partner", _("Lead assigned to a partner")),
        ("lead.reassigned", _("Lead reassigned")),
        ("lead.claimed", _("Lead claimed from a queue")),
        ("lead.claimed_direct", _("Lead accepted")),
        ("lead.sla_recalled", _("Lead recalled")),
        ("lead.converted", _("Lead converted")),
    ]),
    (_("Referrals"), [
        ("referral.received", _("Referral received")),
        ("referral.accepted", _("Referral accepted")),
        ("referral.declined", _("Referral declined")),
        ("referral.expired", _("Referral expired")),
        ("referral.won", _("Referral won")),
        ("referral.lost", _("Referral lost")),
        ("referral.created", _("Outbound deal created")),
    ]),
    (_("Deal registrations"), [
        ("registration.submitted", _("Deal registered")),
        ("registration.approved", _("Registration approved")),
        ("registration.rejected", _("Registration rejected")),
        ("registration.more_info", _("More information requested")),
        ("registration.extended", _("Protection extended")),
        ("registration.lapsed", _("Protection lapsed")),
    ]),
    (_("Channel conflicts"), [
        ("conflict.opened", _("Conflict opened")),
        ("conflict.resolved", _("Conflict decided")),
        ("conflict.under_review", _("Record under review")),
        ("conflict.review_finished", _("Review finished")),
    ]),
]
NAMES = {code: name for _group, items in GROUPS for code, name in items}


def event_choices_for(user) -> list:
    """Grouped (code, name) choices `user` may subscribe to, for a form."""
    vendor = bool(user and user.is_authenticated and user.is_vendor_admin)
    groups = []
    for group, items in GROUPS:
        choices = []
        for code, name in items:
            kind = event_type_for(code)
            if kind is not None and (vendor or not kind.internal):
                choices.append((code, name))
        if choices:
            groups.append((group, choices))
    return groups


def event_codes_for(user) -> set:
    return {code for _group, items in event_choices_for(user) for code, _name in items}
