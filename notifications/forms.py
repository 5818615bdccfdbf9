from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Delivery


class PreferencesForm(forms.Form):
    """One delivery per kind the person may choose, and when their digest comes."""

    digest_time = forms.TimeField(label=_("Daily digest at"), widget=forms.TimeInput(attrs={"type": "time"},
                                                                                        format="%H:%M"))

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        for kind in kinds:
            self.fields[f"kind_{kind.code}"] = forms.ChoiceField(
                label=kind.label, help_text=kind.description, choices=Delivery.choices)

    def kind_fields(self):
        return [self[f"kind_{kind.code}"] for kind in self.kinds]

    def deliveries(self) -> dict:
        return {kind.code: self.cleaned_data[f"kind_{kind.code}"] for kind in self.kinds}
