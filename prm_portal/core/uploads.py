"""What a partner file may be: at most settings.RESOURCE_MAX_BYTES, and of an allowed type by its extension AND by
its content (the first bytes, or the parts inside a zip), so a renamed executable or HTML page is refused.

`resource_add` (the service) refuses a bad file whatever the surface; the forms run the same check for a message
next to the field.
"""

import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

SNIFF_BYTES = 64 * 1024
_TEXT_CONTROLS = bytes(set(range(32)) - {9, 10, 12, 13})  # a text file has no control bytes but tab and newlines


def _zip_names(file):
    """The names inside a zip file, or None when it is not one."""
    try:
        with zipfile.ZipFile(file) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def _zip_has(*names):
    def check(file, head):
        found = _zip_names(file)
        return found is not None and all(name in found for name in names)

    return check


def _odf(mimetype):
    def check(file, head):
        # An OpenDocument file is a zip whose first entry, stored uncompressed, is "mimetype": its bytes sit at 38.
        return head[:2] == b"PK" and head[30:38] == b"mimetype" and head[38:38 + len(mimetype)] == mimetype

    return check


def _is_text(file, head):
    return len(head.translate(None, _TEXT_CONTROLS)) == len(head)


def _is_zip(file, head):
    return _zip_names(file) is not None


SNIFFERS = {
    "pdf": lambda file, head: head.startswith(b"%PDF-"),
    "png": lambda file, head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    "jpg": lambda file, head: head.startswith(b"\xff\xd8\xff"),
    "jpeg": lambda file, head: head.startswith(b"\xff\xd8\xff"),
    "gif": lambda file, head: head[:6] in (b"GIF87a", b"GIF89a"),
    "txt": _is_text,
    "csv": _is_text,
    "docx": _zip_has("[Content_Types].xml", "word/document.xml"),
    "xlsx": _zip_has("[Content_Types].xml", "xl/workbook.xml"),
    "pptx": _zip_has("[Content_Types].xml", "ppt/presentation.xml"),
    "odt": _odf(b"application/vnd.oasis.opendocument.text"),
    "ods": _odf(b"application/vnd.oasis.opendocument.spreadsheet"),
    "zip": _is_zip,
}


def _allowed_list():
    return ", ".join(ext.upper() for ext in settings.RESOURCE_ALLOWED_EXTENSIONS if ext != "jpeg")


def upload_problem(file):
    """Why `file` (an UploadedFile or File) may not be attached, as a translated sentence; None when it may."""
    limit = settings.RESOURCE_MAX_BYTES
    size = file.size
    if size is not None and size > limit:
        return _("The file is too big (%(size)s); the limit is %(max)s.") % {
            "size": filesizeformat(size), "max": filesizeformat(limit)}
    if not size:
        return _("The file is empty.")
    name = (getattr(file, "name", "") or "").rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in settings.RESOURCE_ALLOWED_EXTENSIONS or ext not in SNIFFERS:
        return _("Files of this type cannot be attached. Allowed types: %(types)s.") % {"types": _allowed_list()}
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    try:
        matches = SNIFFERS[ext](file, head)
    finally:
        file.seek(0)
    if not matches:
        return _("The file's content is not a .%(ext)s file: it cannot be attached. Allowed types: %(types)s.") % {
            "ext": ext, "types": _allowed_list()}
    return None


def validate_upload(file):
    """Form field validator: the same check as the service, as a message next to the field."""
    problem = upload_problem(file)
    if problem:
        raise ValidationError(problem, code="upload")
