"""The public partner finder (seed 003, E13): no sign-in, no JavaScript needed, the same for every visitor.

Thin views: the selectors only ever return listed partners as public cards (an unlisted partner's page is 404, like
an unknown one), the services do the work, and a refusal (rate limit, no match) is shown on the form, nothing sent.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import translation

from prm_portal.core.errors import InvalidTransition

from . import services
from .forms import InquiryForm, SearchForm
from .selectors import finder_partner_get, finder_search, partner_card


def _client_address(request):
    """The visitor's address as allauth's rate limits see it (ALLAUTH_TRUSTED_PROXY_COUNT behind a proxy)."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return request.META.get("REMOTE_ADDR", "")


def _public(view):
    """Every visitor may use the finder: signed out, or signed in before PRM is enabled."""
    view.prm_always_open = True
    return view


def _submit(request, form, template, context, *, partner=None):
    """Send a valid inquiry form; returns the response (the thanks page, or the form with the refusal)."""
    if form.is_spam:
        return redirect("finder:thanks")  # a bot learns nothing
    if not form.is_valid():
        form.renew_expired_token()
        return render(request, template, context)
    try:
        services.finder_inquiry_submit(source_address=_client_address(request), partner=partner,
                                       language=translation.get_language(), **form.submission())
    except services.FinderAlreadySent:
        pass  # the same form sent twice (a double click): its inquiry exists, the visitor is thanked again
    except services.FinderRateLimited as exc:
        return render(request, template, {**context, "refusal": exc.message}, status=429)
    except InvalidTransition as exc:
        return render(request, template, {**context, "refusal": exc.message})
    return redirect("finder:thanks")


@_public
def finder_search_view(request):
    """Search listed partners by need, location, industry and company size; results best match first."""
    form = SearchForm(request.GET or None)
    criteria = form.criteria() if form.is_bound else {}
    searched = any(criteria.values())
    return render(request, "finder/finder_search.html", {
        "form": form, "results": finder_search(**criteria), "searched": searched,
        "query": request.GET.urlencode() if searched else "",
    })


@_public
def finder_partner_view(request, slug):
    """A listed partner's public page with the inquiry form (the request goes to this partner)."""
    partner = finder_partner_get(slug=slug)
    search = SearchForm(request.GET or None)
    form = InquiryForm(request.POST or None, initial=search.inquiry_initial() if search.is_bound else None)
    context = {"form": form, "card": partner_card(partner)}
    if request.method == "POST":
        return _submit(request, form, "finder/finder_partner.html", context, partner=partner)
    return render(request, "finder/finder_partner.html", context)


@_public
def finder_inquiry_view(request):
    """Send the request to the best matching partners: the best first, the next when one declines."""
    search = SearchForm(request.GET or None)
    form = InquiryForm(request.POST or None, best_match=True,
                       initial=search.inquiry_initial() if search.is_bound else None)
    context = {"form": form}
    if request.method == "POST":
        return _submit(request, form, "finder/finder_inquiry.html", context)
    return render(request, "finder/finder_inquiry.html", context)


@_public
def finder_thanks_view(request):
    return render(request, "finder/finder_thanks.html")
