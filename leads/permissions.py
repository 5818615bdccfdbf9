"""Who may do what to a lead: the access policy's answers under the names the lead views use."""

from accounts import access


def can_edit(user, lead) -> bool:
    return access.lead_can_change(user, lead)


def can_claim(user, lead) -> bool:
    return access.lead_can_claim(user, lead)


def can_convert(user, lead) -> bool:
    return access.lead_can_convert(user, lead)


def can_manage(user, lead=None) -> bool:
    """Vendor staff surfaces (reassign, import, resources, the timeline as of a date); for one lead, staff who
    manage its partner."""
    if lead is not None:
        return access.lead_can_manage(user, lead)
    return access.is_vendor_staff(user)
