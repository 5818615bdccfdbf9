"""The finder's public forms: the search, and the inquiry with its spam protection (a honeypot field people never
see and a signed timestamp: a submission faster than a person types, or with a forged or day-old token, is
refused). Every field has a length limit."""

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from prm_portal.core.humancheck import HumanCheckMixin, human_form_token
from referrals.models import Referral

from .selectors import finder_country_codes
from .services import FINDER_TOKEN_MAX_AGE

FINDER_FORM_SALT = "finder.inquiry"
NEED_MAX_LENGTH = 2000
SIZE_CHOICES = [("", _("Any size"))] + Referral.CompanySize.choices


def finder_form_token():
    """A fresh signed, timestamped form token; random, so two visitors never share one (one token, one inquiry)."""
    return human_form_token(FINDER_FORM_SALT)


def _country_choices(blank_label):
    return [("", blank_label)] + [(code, code) for code in finder_country_codes()]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("What do you need?"), max_length=200, required=False,
                        help_text=_("Words or phrases, e.g. cloud migration, ERP."))
    country = forms.ChoiceField(label=_("Country"), required=False)
    city = forms.CharField(label=_("City"), max_length=120, required=False)
    industry = forms.CharField(label=_("Industry"), max_length=80, required=False)
    company_size = forms.ChoiceField(label=_("Company size"), required=False, choices=SIZE_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = _country_choices(_("Any country"))

    def criteria(self) -> dict:
        """The search as finder_search takes it (empty when the form is not valid)."""
        if not self.is_valid():
            return {}
        d = self.cleaned_data
        return {"words": d["q"].strip(), "city": d["city"].strip(), "country": d["country"],
                "industry": d["industry"].strip(), "company_size": d["company_size"]}

    def inquiry_initial(self) -> dict:
        """What a search already says about the customer, to fill an inquiry form with."""
        c = self.criteria()
        return {"need": c.get("words", ""), "city": c.get("city", ""), "country": c.get("country", ""),
                "industry": c.get("industry", ""), "company_size": c.get("company_size", "")}


class InquiryForm(HumanCheckMixin, forms.Form):
    token_salt = FINDER_FORM_SALT

    need = forms.CharField(label=_("What do you need?"), max_length=NEED_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=_("Describe your project or problem in a few sentences."))
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(label=_("Email"), max_length=254)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False, validators=[
        RegexValidator(r"^[0-9+()./ -]*$", _("Write the phone number with digits, spaces and + ( ) - only."))])
    company_size = forms.ChoiceField(label=_("Company size"), required=False,
                                     choices=[("", "—")] + Referral.CompanySize.choices)
    industry = forms.CharField(label=_("Industry"), max_length=80, required=False)
    city = forms.CharField(label=_("City"), max_length=120, required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    contact_requested = forms.BooleanField(
        label=_("Please contact me"), required=False,
        help_text=_("The partner is asked to contact you as soon as possible."))
    consent = forms.BooleanField(label=_("I agree that my request and contact details are shared with the partner."))
    website = forms.CharField(required=False, label=_("Leave this field empty"), max_length=200)
    token = forms.CharField(widget=forms.HiddenInput, max_length=200)

    def __init__(self, *args, best_match=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = _country_choices("—")
        if best_match:
            self.fields["consent"].label = _("I agree that my request and contact details are shared with the "
                                             "partners it is offered to, one after another.")
        if not self.is_bound:
            self.initial["token"] = finder_form_token()

    def token_max_age(self) -> int:
        return FINDER_TOKEN_MAX_AGE

    def token_min_seconds(self) -> int:
        return settings.FINDER_FORM_MIN_SECONDS

    def submission(self) -> dict:
        """The cleaned form as finder_inquiry_submit takes it."""
        d = self.cleaned_data
        return {
            "token": d["token"], "need": d["need"].strip(), "company": d["company"].strip(),
            "contact_name": d["contact_name"].strip(), "email": d["email"], "phone": d["phone"].strip(),
            "company_size": d["company_size"], "industry": d["industry"].strip(), "city": d["city"].strip(),
            "country": d["country"], "contact_requested": d["contact_requested"], "consent": d["consent"],
        }
