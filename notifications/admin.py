"""The vendor admin marks kinds of notification mandatory (sent to everyone at once, whatever they chose)."""

from django import forms
from django.contrib import admin

from accounts.admin_site import PortalModelAdmin
from prm_portal.core.notify import notification_kinds

from .kinds import DIGEST
from .models import NotificationPolicy


class NotificationPolicyForm(forms.ModelForm):
    class Meta:
        model = NotificationPolicy
        fields = ["kind", "mandatory"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"] = forms.ChoiceField(
            label=self.fields["kind"].label,
            choices=[(kind.code, kind.label) for kind in notification_kinds() if not kind.mandatory
                     and kind.code != DIGEST])


@admin.register(NotificationPolicy)
class NotificationPolicyAdmin(PortalModelAdmin):
    form = NotificationPolicyForm
    list_display = ["__str__", "mandatory"]
