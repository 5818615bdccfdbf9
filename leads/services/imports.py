"""CSV import (C12): validated whole, imported whole (each row routed at once) or not at all."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .routing import lead_create, routing_rules

# --- CSV import (C12) ------------------------------------------------------------------------------------------

IMPORT_COLUMNS = {
    "company": "company", "account": "company", "company name": "company",
    "first_name": "first_name", "first name": "first_name",
    "last_name": "last_name", "last name": "last_name", "name": "last_name",
    "email": "email", "e-mail": "email", "phone": "phone", "country": "country", "industry": "industry",
    "company_size": "company_size", "company size": "company_size", "size": "company_size",
    "source": "source", "lead source": "source", "description": "description", "notes": "description",
}
IMPORT_PROGRESS_EVERY = 50


def _progress_key(import_id):
    return f"leads:import:{import_id}:done"


def lead_import_progress(*, job) -> int:
    """Rows imported so far: the import's transaction is open until the end, so it reports through the cache."""
    from django.core.cache import cache

    if job.status == job.Status.RUNNING:
        return cache.get(_progress_key(job.pk), 0)
    return job.imported_rows


def lead_import_parse(text):
    """Validate every row of a CSV text. Returns (rows, errors): cleaned field dicts, and
    "Line N: field: reason" messages with the file's own line numbers (the header is line 1)."""
    import csv
    import io

    from ..forms import LeadRowForm

    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return [], [_("The file is empty.")]
    columns = [IMPORT_COLUMNS.get(h.strip().lower()) for h in header]
    missing = {"company", "last_name"} - set(columns)
    if missing:
        return [], [_("Line 1: missing column(s): %(cols)s") % {"cols": ", ".join(sorted(missing))}]
    rows, errors = [], []
    line = reader.line_num
    for record in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header):
            errors.append(_("Line %(n)s: %(got)s values for %(want)s columns") %
                          {"n": start, "got": len(record), "want": len(header)})
            continue
        data = {col: value.strip() for col, value in zip(columns, record, strict=False) if col}
        form = LeadRowForm(data=data)
        if form.is_valid():
            rows.append({k: v for k, v in form.cleaned_data.items() if v not in (None,)})
        else:
            for field, messages in form.errors.items():
                errors.append(_("Line %(n)s: %(field)s: %(reason)s") %
                              {"n": start, "field": field, "reason": " ".join(messages)})
    if not rows and not errors:
        errors.append(_("The file has no lead rows."))
    return rows, errors


@transaction.atomic
def lead_import_start(*, actor, filename, content):
    """Record an upload and queue its import after commit (a Celery task: big files don't block the page)."""
    from ..models import LeadImport
    from ..tasks import lead_import_run_task

    job = LeadImport.objects.create(created_by=actor, filename=filename[:200], content=content)
    lead_import_run_task.delay_on_commit(import_id=job.pk)
    return job


def lead_import_run(*, import_id):
    """Validate the whole file, then create every lead (each routed at once) in ONE transaction: a file with a
    bad row imports nothing and reports each bad row. Safe to run twice: only a pending import runs."""
    from django.core.cache import cache

    from ..models import LeadImport

    claimed = LeadImport.objects.filter(pk=import_id, status=LeadImport.Status.PENDING).update(
        status=LeadImport.Status.RUNNING
    )
    if not claimed:
        return "already handled"
    job = LeadImport.objects.select_related("created_by").get(pk=import_id)
    rows, errors = lead_import_parse(job.content)
    job.total_rows = len(rows) + len(errors)
    if errors:
        LeadImport.objects.filter(pk=job.pk).update(
            status=LeadImport.Status.FAILED, errors=errors, total_rows=job.total_rows, finished_at=timezone.now()
        )
        return f"rejected: {len(errors)} bad rows"
    LeadImport.objects.filter(pk=job.pk).update(total_rows=job.total_rows)
    cache.set(_progress_key(job.pk), 0, 3600)
    try:
        with transaction.atomic():
            routing = routing_rules()
            for i, row in enumerate(rows, start=1):
                lead_create(actor=job.created_by, channel="csv", routing=routing, **row)
                if i % IMPORT_PROGRESS_EVERY == 0:
                    cache.set(_progress_key(job.pk), i, 3600)
    except Exception as exc:
        LeadImport.objects.filter(pk=job.pk).update(
            status=LeadImport.Status.FAILED, errors=[str(exc)], finished_at=timezone.now()
        )
        raise
    LeadImport.objects.filter(pk=job.pk).update(
        status=LeadImport.Status.DONE, imported_rows=len(rows), content="", finished_at=timezone.now()
    )
    return f"imported {len(rows)} leads"
