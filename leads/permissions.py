"""Who may do what to a lead they can already see (visibility itself is the selectors' job)."""


def can_edit(user, lead) -> bool:
    if lead.status == lead.Status.CONVERTED:
        return False
    if user.is_vendor_staff:
        return True
    if lead.owner_id is None:
        return False  # a queue lead is accepted first
    return lead.owner_id == user.pk or (user.is_partner_admin and lead.partner_account_id == user.partner_account_id)


def can_claim(user, lead) -> bool:
    return user.is_partner and lead.is_claimable


def can_convert(user, lead) -> bool:
    return (
        user.is_partner
        and lead.status == lead.Status.QUALIFIED
        and lead.owner_id is not None
        and (lead.owner_id == user.pk or (user.is_partner_admin and lead.partner_account_id == user.partner_account_id))
    )


def can_manage(user) -> bool:
    """Reassign, attach resources, import, see the timeline as of a date: vendor staff."""
    return user.is_vendor_staff
