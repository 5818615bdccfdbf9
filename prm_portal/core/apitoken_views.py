"""Profile → API tokens: every signed-in person makes tokens for their own API clients and revokes them.

The secret is shown once, on the page that answers the creation (it is stored nowhere, not even in the session);
the list shows each token's client, first characters, dates and state. Revoking is a POST with a message.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .apitokens import (
    DEFAULT_LIFETIME_DAYS,
    NAME_MAX_LENGTH,
    api_token_create,
    api_token_get_for_owner,
    api_token_list_for,
    api_token_revoke,
)
from .errors import InvalidTransition


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Client"), max_length=NAME_MAX_LENGTH,
                           help_text=gettext_lazy("What will use the token, e.g. CRM sync."))
    lifetime_days = forms.TypedChoiceField(
        label=gettext_lazy("Works for"), coerce=int, initial=DEFAULT_LIFETIME_DAYS,
        choices=[(30, gettext_lazy("30 days")), (90, gettext_lazy("90 days")), (365, gettext_lazy("365 days"))],
    )


@never_cache  # no-store: the page may hold a secret
@login_required
def api_tokens(request):
    """The person's tokens, and the form that makes one (POST: the new secret, shown this once)."""
    form = ApiTokenForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = api_token_create(actor=request.user, name=form.cleaned_data["name"],
                                               lifetime_days=form.cleaned_data["lifetime_days"])
        except InvalidTransition as exc:
            form.add_error(None, str(exc))
        else:
            form = ApiTokenForm()
    return render(request, "core/api_tokens.html", {
        "form": form, "tokens": api_token_list_for(user=request.user), "created": created, "secret": secret,
        "now": timezone.now(),
    })


@require_POST
@login_required
def api_token_revoke_view(request, pk):
    token = api_token_get_for_owner(user=request.user, pk=pk)
    try:
        api_token_revoke(actor=request.user, token=token)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The token “%(name)s” is revoked: clients using it are refused from now on.")
                         % {"name": token.name})
    return redirect("api_tokens:list")
