from django import forms
from django.utils.translation import gettext_lazy as _

from prm_portal.core.versioning import version_form_field

from .models import Conflict, Registration
from .services import FIELDS, protection_days_default


class RegistrationForm(forms.ModelForm):
    """What a partner registers (H3); the service checks and normalises it."""

    version = version_form_field()

    class Meta:
        model = Registration
        fields = list(FIELDS)
        widgets = {
            "estimated_close_date": forms.DateInput(attrs={"type": "date"}),
            "products": forms.Textarea(attrs={"rows": 3}),
            "justification": forms.Textarea(attrs={"rows": 4}),
            "customer_country": forms.TextInput(attrs={"maxlength": 2, "size": 3, "autocomplete": "off"}),
        }
        help_texts = {
            "customer_country": _("Two-letter code, e.g. CZ."),
            "customer_duns": _("Nine digits, where known."),
            "customer_domain": _("e.g. contoso.com"),
            "justification": _("How you found the opportunity and what you have done so far."),
        }


class ReviewForm(forms.Form):
    DECISIONS = [("approve", _("Approve")), ("reject", _("Reject")), ("more_info", _("Ask for more information"))]

    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS)
    protection_days = forms.IntegerField(label=_("Protection period (days)"), min_value=1, max_value=365,
                                         required=False, help_text=_("When approving."))
    comment = forms.CharField(label=_("Comment for the partner"), widget=forms.Textarea(attrs={"rows": 3}),
                              required=False, help_text=_("Required to reject or ask for more information."))
    version = version_form_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["protection_days"].initial = protection_days_default()


class ExtendForm(forms.Form):
    days = forms.IntegerField(label=_("Extend by (days)"), min_value=1, max_value=365)
    version = version_form_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].initial = protection_days_default()


class ConflictResolveForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Conflict.Decision.choices,
                                 widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note (vendor staff only)"), widget=forms.Textarea(attrs={"rows": 2}),
                           required=False)


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All"))] + list(Registration.Status.choices))
