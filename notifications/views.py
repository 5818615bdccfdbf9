"""The preferences page (signed in) and the one-click unsubscribe (no sign-in: the signed link is the proof)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from prm_portal.core.errors import InvalidTransition

from . import services
from .forms import PreferencesForm
from .selectors import notification_kinds_for, notification_preferences_for, notification_settings_for


@login_required
def preferences(request):
    user = request.user
    kinds = notification_kinds_for(user=user)
    current = notification_settings_for(user=user)
    initial = {f"kind_{code}": delivery for code, delivery in notification_preferences_for(user=user).items()}
    initial.update(digest_time=current.digest_time)
    form = PreferencesForm(request.POST or None, kinds=kinds, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_preferences_save(
                actor=user, user=user, deliveries=form.deliveries(), digest_time=form.cleaned_data["digest_time"])
        except InvalidTransition as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Notification preferences saved."))
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html",
                  {"form": form, "time_zone": services.person_time_zone(user)})


@csrf_exempt  # RFC 8058: the mail program POSTs "List-Unsubscribe=One-Click" with no cookie and no form token
def unsubscribe(request, token):
    """GET: what the link turns off, and one button (a link prefetched by a mail scanner changes nothing).
    POST (the button, or the mail program's one-click): turn it off."""
    if request.method == "POST":
        try:
            user, kinds = services.notification_unsubscribe(token=token)
        except InvalidTransition as exc:
            return render(request, "notifications/unsubscribe.html", {"invalid": str(exc)}, status=400)
        return render(request, "notifications/unsubscribe.html", {"done": True, "person": user})
    described = services.unsubscribe_describe(token=token)
    if described is None:
        return render(request, "notifications/unsubscribe.html", {
            "invalid": _("This unsubscribe link is not valid. Sign in to change your notification preferences.")},
            status=400)
    person, kind = described
    return render(request, "notifications/unsubscribe.html", {"person": person, "kind": kind, "token": token})


unsubscribe.prm_always_open = True
