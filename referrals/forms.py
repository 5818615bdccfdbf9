"""Forms only parse and validate input; the services make the changes."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts import access
from accounts.models import PartnerAccount, PartnerLocation
from prm_portal.core.versioning import version_form_field

from .models import DealRegistration, Referral, Solution

TEAM_ROWS = 3
DATE = forms.DateInput(attrs={"type": "date"})


class DealFieldsForm(forms.Form):
    name = forms.CharField(label=_("Deal name"), max_length=200)
    estimated_value = forms.DecimalField(label=_("Estimated value"), min_value=0, max_digits=14, decimal_places=2)
    estimated_close_date = forms.DateField(label=_("Estimated close date"), widget=DATE)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=_("What the customer is looking for."))
    crm_id = forms.CharField(label=_("CRM ID"), max_length=100, required=False)
    campaign_id = forms.CharField(label=_("Campaign ID"), max_length=100, required=False)


class TeamRowsMixin:
    """Adds `team_<i>_name/phone/email` rows; `team_members()` returns the filled ones."""

    team_rows = TEAM_ROWS

    def add_team_rows(self, required_first=False):
        for i in range(self.team_rows):
            req = required_first and i == 0
            self.fields[f"team_{i}_name"] = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=200,
                                                            required=req)
            self.fields[f"team_{i}_phone"] = forms.CharField(label=_("Phone"), max_length=40, required=req)
            self.fields[f"team_{i}_email"] = forms.EmailField(label=_("Email"), required=req)

    def team_members(self):
        rows = []
        for i in range(self.team_rows):
            row = {k: self.cleaned_data.get(f"team_{i}_{k}", "") or "" for k in ("name", "phone", "email")}
            if any(row.values()):
                rows.append(row)
        return rows

    def deal_fields(self):
        return [self[name] for name in self.fields if not name.startswith("team_") and not self[name].is_hidden]

    def team_row_fields(self):
        return [(self[f"team_{i}_name"], self[f"team_{i}_phone"], self[f"team_{i}_email"])
                for i in range(self.team_rows)]

    def clean_team_rows(self):
        for i in range(self.team_rows):
            name = self.cleaned_data.get(f"team_{i}_name")
            if not name and (self.cleaned_data.get(f"team_{i}_phone") or self.cleaned_data.get(f"team_{i}_email")):
                self.add_error(f"team_{i}_name", _("Give the team member's name."))


class AcceptForm(TeamRowsMixin, DealFieldsForm):
    team_rows = 2
    version = version_form_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_team_rows()

    def clean(self):
        data = super().clean()
        self.clean_team_rows()
        return data


class EditForm(DealFieldsForm):
    version = version_form_field()


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", _("Choose a reason"))] + Referral.DeclineReason.choices)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    version = version_form_field()


class TeamMemberForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=40)
    email = forms.EmailField(label=_("Email"))


class LostForm(forms.Form):
    reason = forms.CharField(label=_("Why was it lost?"), max_length=200)
    version = version_form_field()


class StageForm(forms.Form):
    stage = forms.CharField(max_length=40)
    version = version_form_field()


class WonForm(forms.Form):
    version = version_form_field()


class OutboundForm(TeamRowsMixin, DealFieldsForm):
    """The guided New deal form (E9): customer, contact, deal, team, solutions, consent."""

    customer_country = forms.CharField(label=_("Customer country"), max_length=2,
                                       help_text=_("Two-letter code, e.g. CZ."))
    customer_city = forms.CharField(label=_("Customer city"), max_length=120, required=False)
    customer_name = forms.CharField(label=_("Customer name"), max_length=200)
    customer_duns = forms.RegexField(label=_("DUNS number"), regex=r"^\d{9}$", required=False,
                                     help_text=_("Nine digits; tells apart companies with the same name."),
                                     error_messages={"invalid": _("A DUNS number has nine digits.")})
    contact_name = forms.CharField(label=_("Contact name"), max_length=200)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40)
    contact_email = forms.EmailField(label=_("Contact email"))
    contact_notes = forms.CharField(label=_("Notes for the vendor's specialist"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    contact_consent = forms.BooleanField(label=_("The customer agreed to share these contact details"),
                                         required=False)
    location = forms.ModelChoiceField(label=_("Location"), queryset=PartnerLocation.objects.none())
    solution_kind = forms.ChoiceField(label=_("Solution type"),
                                      choices=[("", _("Choose a solution type"))] + Solution.Kind.choices)
    assessment_type = forms.ChoiceField(label=_("Assessment type"), required=False,
                                        choices=[("", _("Choose an assessment"))] + Solution.AssessmentType.choices)
    solution_name = forms.CharField(label=_("Solution"), max_length=200, required=False)
    consent = forms.BooleanField(label=_("I confirm the customer consented to this deal being shared with the "
                                         "vendor"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        locations = PartnerLocation.objects.filter(partner_account_id=user.partner_account_id)
        if user.location_id and not user.is_partner_admin:
            locations = locations.filter(pk=user.location_id)
        self.fields["location"].queryset = locations
        self.add_team_rows(required_first=True)
        self.order_fields(["customer_country", "customer_city", "customer_name", "customer_duns"])

    def clean_customer_country(self):
        return self.cleaned_data["customer_country"].strip().upper()

    def clean(self):
        data = super().clean()
        self.clean_team_rows()
        kind = data.get("solution_kind")
        if kind == Solution.Kind.SOLUTION_ASSESSMENT and not data.get("assessment_type"):
            self.add_error("assessment_type", _("A solution assessment takes exactly one assessment type."))
        if kind == Solution.Kind.PRODUCT and not data.get("solution_name"):
            self.add_error("solution_name", _("Name the solution."))
        return data

    def solutions(self):
        kind = self.cleaned_data["solution_kind"]
        if kind == Solution.Kind.SOLUTION_ASSESSMENT:
            return [{"kind": kind, "assessment_type": self.cleaned_data["assessment_type"]}]
        return [{"kind": kind, "name": self.cleaned_data["solution_name"]}]


class SendForm(forms.Form):
    """Vendor staff send an inbound referral: to a chosen partner, or to the best match (E13)."""

    referral_type = forms.ChoiceField(label=_("Referral type"), choices=[
        c for c in Referral.Type.choices if c[0] != Referral.Type.CO_SELL])
    deal_type = forms.ChoiceField(label=_("Deal type"), choices=[("", "—")] + Referral.DealType.choices,
                                  required=False)
    customer_name = forms.CharField(label=_("Customer"), max_length=200)
    customer_city = forms.CharField(label=_("City"), max_length=120, required=False)
    customer_country = forms.CharField(label=_("Country"), max_length=2, required=False)
    customer_size = forms.ChoiceField(label=_("Company size"), required=False,
                                      choices=[("", "—")] + Referral.CompanySize.choices)
    customer_industry = forms.CharField(label=_("Industry"), max_length=80, required=False)
    need = forms.CharField(label=_("What the customer needs"), widget=forms.Textarea(attrs={"rows": 3}))
    keywords = forms.CharField(label=_("Keywords"), required=False, help_text=_("Separated by commas."))
    contact_name = forms.CharField(label=_("Contact name"), max_length=200, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    contact_requested = forms.BooleanField(label=_("The customer asked to be contacted"), required=False)
    estimated_value = forms.DecimalField(label=_("Estimated value"), required=False, min_value=0, max_digits=14,
                                         decimal_places=2)
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=PartnerAccount.objects.none(), required=False,
                                     empty_label=_("Best match"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.selectors import partner_account_list_visible_to

        self.fields["partner"].queryset = partner_account_list_visible_to(user=user).filter(is_partner=True)

    def clean_customer_country(self):
        return self.cleaned_data["customer_country"].strip().upper()

    def clean(self):
        data = super().clean()
        if data.get("referral_type") == Referral.Type.CUSTOMER_INQUIRY and not data.get("contact_email"):
            self.add_error("contact_email", _("A customer inquiry needs the customer's email."))
        return data

    def inquiry(self):
        d = self.cleaned_data
        keywords = [k.strip() for k in (d.get("keywords") or "").split(",") if k.strip()]
        return {
            "referral_type": d["referral_type"], "deal_type": d.get("deal_type") or "",
            "customer_name": d["customer_name"], "customer_city": d.get("customer_city") or "",
            "customer_country": d.get("customer_country") or "", "customer_size": d.get("customer_size") or "",
            "customer_industry": d.get("customer_industry") or "", "need": d["need"], "keywords": keywords,
            "contact_name": d.get("contact_name") or "", "contact_phone": d.get("contact_phone") or "",
            "contact_email": d.get("contact_email") or "", "contact_requested": d.get("contact_requested", False),
            "estimated_value": d.get("estimated_value"),
        }


class RegistrationForm(forms.ModelForm):
    version = version_form_field()  # the registration's, when it is sent again

    class Meta:
        model = DealRegistration
        fields = ["contract_value", "contract_signed_on", "customer_po", "details"]
        widgets = {"contract_signed_on": DATE, "details": forms.Textarea(attrs={"rows": 3})}


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject")),
                                          ("more_info", _("Ask for more information"))])
    comment = forms.CharField(label=_("Comment to the partner"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    version = version_form_field()


class FilterForm(forms.Form):
    deal_type = forms.ChoiceField(label=_("Deal type"), required=False,
                                  choices=[("", _("All deal types"))] + Referral.DealType.choices)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses"))] + Referral.Status.choices)
    location = forms.ModelChoiceField(label=_("Location"), required=False, queryset=PartnerLocation.objects.none(),
                                      empty_label=_("All locations"))
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        qs = PartnerLocation.objects.select_related("partner_account")
        if user.is_partner:
            qs = qs.filter(partner_account_id=user.partner_account_id)
            if user.location_id and not user.is_partner_admin:
                qs = qs.filter(pk=user.location_id)
        elif user.is_vendor_staff:
            qs = qs.filter(access.staff_scope_q(user))
        self.fields["location"].queryset = qs
