"""Required fields are marked (the label's data-required asterisk, aria-required on the field, a legend saying what
the asterisk means); the guided New deal form shows its overall progress; action columns have a heading for screen
readers; the stylesheets size menus and buttons by their content (issue 15)."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_required_fields_are_marked_for_eyes_and_screen_readers(cast, login_as):
    page = login_as(cast.partner_a_user).get(reverse("opportunities:create")).content.decode()
    assert re.search(r'<label for="id_name"[^>]*data-required', page)
    assert re.search(r'<input[^>]*name="name"[^>]*aria-required="true"', page)
    assert "Fields marked with an asterisk are required." in page
    assert not re.search(r'<label for="id_description"[^>]*data-required', page)  # optional: no asterisk


def test_the_guided_form_shows_step_n_of_6_and_its_suggestions_form_a_listbox(cast, login_as):
    page = login_as(cast.partner_a_user).get(reverse("referrals:new")).content.decode()
    assert 'id="guided-progress" aria-live="polite" data-template="Step {n} of {total}"' in page
    assert 'role="combobox"' in page and 'aria-controls="customer-suggestions"' in page
    assert 'role="listbox"' in page
    assert page.count('class="card guided-step"') == 6


def test_action_columns_have_a_heading_for_screen_readers(cast, login_as):
    page = login_as(cast.channel_manager).get(reverse("accounts:account_detail", args=[cast.partner_a.pk]))
    assert "<th></th>" not in page.content.decode()
    assert '<span class="visually-hidden">Actions</span>' in page.content.decode()


def test_the_wizard_step_labels_reach_aa_contrast():
    css = (ROOT / "static/css/accounts.css").read_text()
    rule = re.search(r"\.wizard-steps li \{([^}]*)\}", css).group(1)
    colour = re.search(r"color: (#[0-9a-fA-F]{6})", rule).group(1)
    background = re.search(r"background: (#[0-9a-fA-F]{6})", rule).group(1)
    assert contrast(colour, background) >= 4.5


def contrast(a, b):
    def luminance(hex_colour):
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_helper_knows_the_old_failing_pair():
    assert round(contrast("#667085", "#eef2f6"), 2) == 4.42


def test_menus_and_filters_take_the_width_of_their_longest_translation():
    accounts = (ROOT / "static/css/accounts.css").read_text()
    referrals = (ROOT / "static/css/referrals.css").read_text()
    portal = (ROOT / "static/css/portal.css").read_text()
    assert "width: max-content" in re.search(r"\.menu-items \{[^}]*\}", accounts).group(0)
    assert "max-width: 12rem" not in referrals
    assert re.search(r"\.tabs \{[^}]*flex-wrap: nowrap", portal)
