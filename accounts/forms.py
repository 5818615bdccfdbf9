"""Forms of the accounts screens. They parse and validate input; the services make the changes."""

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _

from .models import Contact, PartnerLocation, User
from .selectors import channel_manager_list, staff_user_list


class PrmSettingsForm(forms.Form):
    enable = forms.BooleanField(label=_("Enable partner relationship management"), required=False)


class PartnerAccountForm(forms.Form):
    name = forms.CharField(label=_("Account name"), max_length=200)
    owner = forms.ModelChoiceField(label=_("Channel manager (owner)"), queryset=User.objects.none())
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    country = forms.CharField(label=_("Country (ISO code)"), max_length=2, required=False)
    industry = forms.CharField(label=_("Industry"), max_length=80, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_user_list() if actor.is_vendor_admin else User.objects.filter(
            pk=actor.pk)
        self.fields["owner"].initial = actor.pk


class AccountShareForm(forms.Form):
    channel_manager = forms.ModelChoiceField(label=_("Share with channel manager"), queryset=User.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel_manager"].queryset = channel_manager_list()


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["first_name", "last_name", "email", "phone", "title", "location"]

    def __init__(self, *args, partner_account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = partner_account.locations.all()


def _time_zone_choices():
    from .services import time_zone_names

    names = sorted(n for n in time_zone_names() if "/" in n and not n.startswith(("Etc/", "SystemV/", "US/")))
    return [("", _("The portal's time zone (%(tz)s)") % {"tz": settings.TIME_ZONE})] + [(n, n.replace("_", " "))
                                                                                           for n in names]


class PreferencesForm(forms.Form):
    """The profile's own settings: the language the portal speaks and the time zone its times are shown in."""

    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_time_zone_choices, required=False,
                                  help_text=_("Dates and times on the pages and in your emails are shown in it."))


class AvailabilityForm(forms.Form):
    """The days a person is away: no new lead is routed to them then (both days included; blank = open)."""

    away_from = forms.DateField(label=_("Away from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    away_until = forms.DateField(label=_("Away until"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=_("Leave both empty when you are back."))

    def clean(self):
        data = super().clean()
        if data.get("away_from") and data.get("away_until") and data["away_until"] < data["away_from"]:
            raise forms.ValidationError(_("The last day away cannot be before the first."))
        return data


class PartnerUserForm(forms.Form):
    """The New User page (B3): pre-filled from the contact, confirmed before saving."""

    email = forms.EmailField(label=_("Email (sign-in)"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(User.Role.PARTNER_USER, User.Role.PARTNER_USER.label),
                 (User.Role.PARTNER_ADMIN, User.Role.PARTNER_ADMIN.label)],
    )
    location = forms.ModelChoiceField(
        label=_("Location scope"), queryset=PartnerLocation.objects.none(), required=False,
        empty_label=_("All locations"),
        help_text=_("A user limited to a location sees that location's referrals only."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, initial="en")

    def __init__(self, *args, partner_account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = partner_account.locations.all()

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("A user with this email address already exists."))
        return email


class PartnerUserEditForm(forms.Form):
    role = PartnerUserForm.base_fields["role"]
    location = forms.ModelChoiceField(
        label=_("Location scope"), queryset=PartnerLocation.objects.none(), required=False,
        empty_label=_("All locations"),
        help_text=_("A user limited to a location sees that location's referrals only."),
    )

    def __init__(self, *args, partner_account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = partner_account.locations.all()


class InitialPasswordForm(SetPasswordForm):
    """New password twice; the service stores it (the form's own save() is not used)."""


def _split(value):
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


class BusinessProfileForm(forms.Form):
    keywords = forms.CharField(label=_("Keywords"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                               help_text=_("What you sell, separated by commas, e.g. erp, cloud migration."))
    company_sizes = forms.MultipleChoiceField(label=_("Preferred company sizes"), required=False,
                                              widget=forms.CheckboxSelectMultiple)
    industries = forms.CharField(label=_("Preferred industries"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}), help_text=_("Separated by commas."))
    description = forms.CharField(label=_("About the partner"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    listed = forms.BooleanField(label=_("List us in the partner finder"), required=False,
                                help_text=_("Customers find listed partners on the public partner finder and send "
                                            "them inquiries. It shows your name, logo, public description, "
                                            "keywords, preferences and the cities of your locations."))
    public_description = forms.CharField(label=_("Public description"), required=False, max_length=2000,
                                         widget=forms.Textarea(attrs={"rows": 3}),
                                         help_text=_("What customers read about you in the partner finder."))
    logo_url = forms.CharField(label=_("Logo address"), max_length=500, required=False,
                               help_text=_("An https:// address of your logo; blank uses the vendor's."))
    primary_color = forms.RegexField(label=_("Brand colour"), regex=r"^(#[0-9a-fA-F]{6})?$", required=False,
                                     help_text=_("Like #1f5fbf; blank uses the vendor's colour."),
                                     error_messages={"invalid": _("Write the colour like #1f5fbf.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        Lead = apps.get_model("leads", "Lead")
        self.fields["company_sizes"].choices = Lead.CompanySize.choices

    def clean_keywords(self):
        return _split(self.cleaned_data["keywords"])

    def clean_industries(self):
        return _split(self.cleaned_data["industries"])

    def clean_logo_url(self):
        value = self.cleaned_data["logo_url"].strip()
        if value and not value.startswith(("https://", "http://", "/")):
            raise forms.ValidationError(_("Give an address starting with https://."))
        return value


class LocationForm(forms.ModelForm):
    class Meta:
        model = PartnerLocation
        fields = ["name", "address", "city", "country", "contact_name", "phone", "email"]
