from django.conf import settings

from .selectors import recent_item_list_for


def portal(request):
    """Brand (the partner's own where set), the tabs and the user's Recent Items."""
    brand = dict(settings.PORTAL_BRAND)
    user = getattr(request, "user", None)
    recent = []
    if user is not None and user.is_authenticated:
        partner = user.partner_account if user.is_partner else None
        if partner is not None:
            if partner.logo_url:
                brand["logo_url"] = partner.logo_url
            if partner.primary_color:
                brand["primary_color"] = partner.primary_color
            brand["partner_name"] = partner.name
        recent = recent_item_list_for(user=user)
    return {"brand": brand, "recent_items": recent}
