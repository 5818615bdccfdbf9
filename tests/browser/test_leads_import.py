"""CSV import: a file with a bad row is refused whole, each bad line named; a good one imports and routes."""

import pytest
from playwright.sync_api import expect

from leads.models import Lead
from tests.factories import QueueFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOOD = "company,first_name,last_name,email,country\nKovo Hradec,Jan,Horák,jan@kovo.example,CZ\n" \
       "Pivovar Lipno,Anna,Nová,anna@lipno.example,CZ\n"
BAD = GOOD + "Broken Ltd,Eva,Malá,not-an-email,CZ\n"


def test_csv_with_a_bad_row_imports_nothing_then_the_fixed_file_imports(
        page, live_server, sign_in, password, channel_manager, tmp_path):
    QueueFactory(name="Catch-all", is_default=True)
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(BAD, encoding="utf-8")
    good.write_text(GOOD, encoding="utf-8")
    sign_in(page, channel_manager.email, password)
    page.goto(f"{live_server.url}/leads/")
    page.get_by_role("link", name="Import CSV").click()
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported")
    expect(page.get_by_role("alert")).to_contain_text("Line 4: email")
    assert Lead.objects.count() == 0

    page.get_by_role("link", name="Import another file").click()
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status").last).to_contain_text("2 leads imported and routed")
    expect(page.get_by_label("Import progress")).to_have_attribute("value", "100")
    assert Lead.objects.filter(queue__name="Catch-all").count() == 2
