from django import forms
from django.utils.translation import gettext_lazy as _

from .catalogue import event_choices_for


class EndpointForm(forms.Form):
    url = forms.CharField(label=_("Endpoint address"), max_length=500,
                          help_text=_("HTTPS only, e.g. https://example.com/webhooks/prm"))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(label=_("Event types"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event_types"].choices = event_choices_for(user)
