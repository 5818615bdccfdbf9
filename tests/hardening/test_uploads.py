"""Partner files: a size limit and an allowed-type list (extension and content), in the service for every surface
and in the forms for a message next to the field."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leads.services import lead_resource_add
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.models import Resource
from prm_portal.core.uploads import upload_problem
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _zip(*names, first=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if first:
            archive.writestr(zipfile.ZipInfo(first[0]), first[1])  # stored, as OpenDocument requires
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "content"), [
    ("offer.pdf", PDF),
    ("logo.png", PNG),
    ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 16),
    ("anim.gif", b"GIF89a" + b"\x00" * 16),
    ("notes.txt", "Poznámky k nabídce\r\n".encode()),
    ("prices.csv", "item;price\npanel;120\n".encode("cp1250")),
    ("offer.docx", _zip("[Content_Types].xml", "word/document.xml")),
    ("prices.xlsx", _zip("[Content_Types].xml", "xl/workbook.xml")),
    ("deck.pptx", _zip("[Content_Types].xml", "ppt/presentation.xml")),
    ("offer.odt", _zip("content.xml", first=("mimetype", b"application/vnd.oasis.opendocument.text"))),
    ("prices.ods", _zip("content.xml", first=("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"))),
    ("bundle.zip", _zip("a.txt")),
])
def test_allowed_files_pass(name, content):
    assert upload_problem(SimpleUploadedFile(name, content)) is None


@pytest.mark.parametrize(("name", "content", "message"), [
    ("setup.exe", b"MZ\x90\x00", "cannot be attached. Allowed types: PDF, PNG"),
    ("page.html", b"<script>alert(1)</script>", "cannot be attached"),
    ("noextension", PDF, "cannot be attached"),
    ("invoice.pdf", b"MZ\x90\x00 not a pdf", "not a .pdf file"),
    ("photo.png", b"<svg onload=alert(1)>", "not a .png file"),
    ("notes.txt", b"MZ\x90\x00\x03\x00", "not a .txt file"),
    ("offer.docx", _zip("a.txt"), "not a .docx file"),
    ("empty.pdf", b"", "empty"),
])
def test_disallowed_files_are_refused_with_a_reason(name, content, message):
    assert message in upload_problem(SimpleUploadedFile(name, content))


def test_a_file_over_the_limit_is_refused(settings):
    settings.RESOURCE_MAX_BYTES = 1024
    assert "too big (1.0\xa0KB" in upload_problem(SimpleUploadedFile("big.pdf", PDF + b"x" * 1000)).replace(
        " KB", "\xa0KB")


def test_the_service_refuses_a_bad_file_whatever_the_surface(channel_manager, settings):
    lead = LeadFactory()
    with pytest.raises(InvalidTransition, match="cannot be attached"):
        lead_resource_add(actor=channel_manager, lead=lead, kind="file", title="x",
                          file=SimpleUploadedFile("run.sh", b"#!/bin/sh\nrm -rf /\n"))
    settings.RESOURCE_MAX_BYTES = 10
    with pytest.raises(InvalidTransition, match="too big"):
        lead_resource_add(actor=channel_manager, lead=lead, kind="file", title="x",
                          file=SimpleUploadedFile("a.pdf", PDF))
    assert not Resource.objects.exists()


def test_the_lead_page_says_why_a_file_was_refused_and_stores_nothing(channel_manager, login_as):
    lead = LeadFactory()
    response = login_as(channel_manager).post(
        reverse("leads:resource_add", args=[lead.pk]),
        {"kind": "file", "title": "Offer", "file": SimpleUploadedFile("offer.pdf", b"MZ\x90 really an exe")},
        follow=True)
    assert "File: The file’s content is not a .pdf file" in response.content.decode().replace("'", "’").replace(
        "&#x27;", "’")
    assert not Resource.objects.exists()


def test_the_lead_page_accepts_a_real_pdf(channel_manager, login_as):
    lead = LeadFactory()
    login_as(channel_manager).post(reverse("leads:resource_add", args=[lead.pk]),
                                   {"kind": "file", "title": "Offer", "file": SimpleUploadedFile("offer.pdf", PDF)})
    assert Resource.objects.get().title == "Offer"


def test_the_opportunity_page_refuses_a_disallowed_file(cast, login_as):
    from opportunities.services import opportunity_create

    opp = opportunity_create(actor=cast.partner_a_user, name="Deal", partner_account=cast.partner_a,
                             owner=cast.partner_a_user, customer_name="Kovo")
    response = login_as(cast.partner_a_user).post(
        reverse("opportunities:resource_add", args=[opp.pk]),
        {"kind": "file", "title": "Tool", "file": SimpleUploadedFile("tool.exe", b"MZ")}, follow=True)
    assert "cannot be attached" in response.content.decode()
    assert not Resource.objects.exists()
