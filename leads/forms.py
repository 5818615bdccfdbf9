from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from prm_portal.core.humancheck import HumanCheckMixin, human_form_token
from prm_portal.core.models import Resource
from prm_portal.core.uploads import validate_upload
from prm_portal.core.versioning import version_form_field

from .models import Lead

LEAD_FIELDS = ["company", "first_name", "last_name", "email", "phone", "country", "industry", "company_size",
               "source", "description"]
WEB_FORM_SALT = "leads.web_form"


class LeadForm(forms.ModelForm):
    """Edit a lead (C5). Converted is reached by Convert only, so it is not offered here."""

    version = version_form_field()

    class Meta:
        model = Lead
        fields = ["status", *LEAD_FIELDS]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [c for c in Lead.Status.choices if c[0] != Lead.Status.CONVERTED]


class LeadRowForm(forms.ModelForm):
    """One lead as it arrives from a CSV row or the API."""

    class Meta:
        model = Lead
        fields = LEAD_FIELDS

    def clean_country(self):
        return (self.cleaned_data.get("country") or "").upper()


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=None, required=False, label=_("New owner (partner user)"))
    queue = forms.ModelChoiceField(queryset=None, required=False, label=_("…or a queue"))
    notify = forms.BooleanField(required=False, label=_("Send notification email"))
    version = version_form_field()  # on the lead's own page; a list reassigns many leads without it

    def __init__(self, *args, owners, queues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda u: f"{u} · {u.partner_account} ({u.email})"
        self.fields["queue"].queryset = queues

    def clean(self):
        data = super().clean()
        if bool(data.get("owner")) == bool(data.get("queue")):
            raise forms.ValidationError(_("Choose either a new owner or a queue."))
        return data


class ConvertForm(forms.Form):
    opportunity_name = forms.CharField(label=_("Opportunity name"), max_length=200)
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, required=False, min_value=0)
    close_date = forms.DateField(label=_("Close date"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    version = version_form_field()


class ResourceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Resource.Kind.choices)
    title = forms.CharField(label=pgettext_lazy("resource title", "Title"), max_length=200)
    body = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    url = forms.URLField(label=_("Link"), required=False, assume_scheme="https")
    file = forms.FileField(label=_("File"), required=False, validators=[validate_upload])


class CsvImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_(
        "First line: column names (company, first_name, last_name, email, phone, country, industry, "
        "company_size, source, description). Company and last name are required."))

    def clean_file(self):
        """The file's (name, text), or the reason it cannot be imported (too big, not UTF-8 CSV text, no header,
        too many rows...), checked before anything is stored."""
        from .services.imports import ImportFileError, lead_import_read

        f = self.cleaned_data["file"]
        limit = settings.LEADS_IMPORT_MAX_BYTES
        if f.size > limit:  # refused before it is read
            raise forms.ValidationError(
                _("The file is too big (%(size)s); the limit is %(max)s. Split it into smaller files and upload "
                  "them one by one.") % {"size": filesizeformat(f.size), "max": filesizeformat(limit)})
        try:
            text = lead_import_read(data=f.read())
        except ImportFileError as exc:
            raise forms.ValidationError(exc.message)
        return f.name, text


def web_form_token():
    """A fresh signed, timestamped form token; random, so two visitors never share one (one token, one lead)."""
    return human_form_token(WEB_FORM_SALT)


class WebToLeadForm(HumanCheckMixin, forms.ModelForm):
    """The public form (C12). Spam protection without third parties: a honeypot field people never see and a
    signed timestamp — a submission faster than a person types, or with a forged or day-old token, is refused."""

    token_salt = WEB_FORM_SALT

    website = forms.CharField(required=False, label=_("Leave this field empty"), max_length=200)
    token = forms.CharField(widget=forms.HiddenInput, max_length=200)
    description = forms.CharField(
        label=_("How can we help?"), required=False, max_length=settings.LEADS_WEB_FORM_DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    class Meta:
        model = Lead
        fields = ["company", "first_name", "last_name", "email", "phone", "country", "company_size", "industry",
                  "description"]
        labels = {"description": _("How can we help?")}
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        if not self.is_bound:
            self.initial["token"] = web_form_token()

    def token_min_seconds(self) -> int:
        return getattr(settings, "LEADS_WEB_FORM_MIN_SECONDS", 3)

    def clean_country(self):
        return (self.cleaned_data.get("country") or "").upper()


class ClaimLimitsForm(forms.Form):
    max_open_per_user = forms.IntegerField(label=_("Open queue leads per partner user"), min_value=0, max_value=10000)
    max_open_per_partner = forms.IntegerField(label=_("Open queue leads per partner account"), min_value=0,
                                              max_value=100000)
