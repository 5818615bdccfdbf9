"""Forms of the external user access wizard. They parse and validate input; the services make the changes."""

from django import forms
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from .models import RecordType, SharingRule


class SharingTypesForm(forms.Form):
    record_types = forms.MultipleChoiceField(
        label=_("Record types shared with partners"),
        choices=RecordType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class SharingRuleForm(forms.Form):
    record_type = forms.ChoiceField(label=_("Records"), choices=RecordType.choices)
    grantee = forms.ChoiceField(label=_("Shared with"))
    country = forms.CharField(label=_("Country (ISO code)"), max_length=2, required=False,
                              help_text=_("Blank: any country."))
    industry = forms.CharField(label=_("Industry"), max_length=80, required=False,
                               help_text=_("Blank: any industry."))
    access = forms.ChoiceField(label=_("Access"), choices=SharingRule.Access.choices)

    def __init__(self, *args, record_types=None, accounts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if record_types is not None:
            self.fields["record_type"].choices = [(v, label) for v, label in RecordType.choices if v in record_types]
        Queue = apps.get_model("leads", "Queue")
        self.fields["grantee"].choices = [
            ("", "—"),
            (_("Partner accounts"), [(f"account:{a.pk}", a.name) for a in accounts]),
            (_("Queues"), [(f"queue:{q.pk}", q.name) for q in Queue.objects.order_by("name")]),
        ]

    def clean_country(self):
        return self.cleaned_data["country"].strip().upper()

    def grantee_ids(self):
        kind, pk = self.cleaned_data["grantee"].split(":")
        return (int(pk), None) if kind == "account" else (None, int(pk))
