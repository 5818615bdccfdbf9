from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from prm_portal.core.models import Resource
from prm_portal.core.uploads import validate_upload
from prm_portal.core.versioning import version_form_field

from .models import CURRENCIES, Stage


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PortalForm(forms.Form):
    """Labels without the trailing colon, as the rest of the portal."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class OpportunityForm(PortalForm):
    """The New and Edit form (D2). Owner choices come from the view: the partner's active users."""

    name = forms.CharField(label=_("Opportunity name"), max_length=200)
    customer_name = forms.CharField(
        label=_("Customer account"),
        max_length=200,
        help_text=_("Pick one of your customers or type a new name."),
        widget=forms.TextInput(attrs={"list": "customer-accounts", "autocomplete": "off"}),
    )
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0, required=False)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES, initial="EUR")
    close_date = forms.DateField(label=_("Close date"), required=False, widget=DateInput())
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.order_by("order", "id"), empty_label=None)
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, empty_label=None)
    version = version_form_field()

    def __init__(self, *args, owners, can_change_owner=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["stage"].label_from_instance = lambda s: f"{s.name} ({s.probability} %)"
        if not can_change_owner:
            self.fields["owner"].disabled = True


class OpportunityCreateForm(OpportunityForm):
    contact_first_name = forms.CharField(label=_("Contact first name"), max_length=80, required=False)
    contact_last_name = forms.CharField(label=_("Contact last name"), max_length=80, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)


class StageMoveForm(PortalForm):
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.order_by("order", "id"), empty_label=None)
    version = version_form_field()


class ResourceForm(PortalForm):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(Resource.Kind.NOTE, _("Comment or note")), (Resource.Kind.LINK, _("Link")),
                 (Resource.Kind.FILE, _("File"))],
    )
    title = forms.CharField(label=pgettext_lazy("resource title", "Title"), max_length=200, required=False)
    body = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    url = forms.URLField(label=_("Link"), required=False, assume_scheme="https")
    file = forms.FileField(label=_("File"), required=False, validators=[validate_upload])
