"""CSV import (C12): validated whole, imported whole (each row routed at once) or not at all.

The job row is the record of the work: the upload's task is only a doorbell (a broker outage loses nothing), a
worker owns a job under a lease, and `lead_import_sweep` (beat, every minute) queues again a job whose doorbell
was lost or whose worker died, until LEADS_IMPORT_MAX_ATTEMPTS attempts have started; then the job is Failed with
its reason. The leads and the job's Imported status are written in ONE transaction: a worker that dies part-way
leaves nothing behind, and a lease that ran out cannot make a second worker import the file again.
"""

import csv
import io
import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from prm_portal.core.errors import InvalidTransition
from prm_portal.core.publish import task_publish, task_publish_on_commit

from .routing import lead_create, routing_rules

logger = logging.getLogger(__name__)

# --- CSV import (C12) ------------------------------------------------------------------------------------------

IMPORT_COLUMNS = {
    "company": "company", "account": "company", "company name": "company",
    "first_name": "first_name", "first name": "first_name",
    "last_name": "last_name", "last name": "last_name", "name": "last_name",
    "email": "email", "e-mail": "email", "phone": "phone", "country": "country", "industry": "industry",
    "company_size": "company_size", "company size": "company_size", "size": "company_size",
    "source": "source", "lead source": "source", "description": "description", "notes": "description",
}
REQUIRED_COLUMNS = ("company", "last_name")
IMPORT_PROGRESS_EVERY = 50


class ImportFileError(InvalidTransition):
    """The file cannot be imported at all (too big, not text, no header...): nothing is stored."""

    def __init__(self, message):
        super().__init__(message, code="import_file")


def _progress_key(import_id):
    return f"leads:import:{import_id}:done"


def lead_import_progress(*, job) -> int:
    """Rows imported so far: the import's transaction is open until the end, so it reports through the cache
    (a cache outage shows 0 until the import is done)."""
    from django.core.cache import cache

    if job.status == job.Status.RUNNING:
        return cache.get(_progress_key(job.pk), 0)
    return job.imported_rows


# --- reading and checking a file --------------------------------------------------------------------------------


def lead_import_read(*, data: bytes) -> str:
    """The text of an uploaded file, or ImportFileError (translated) when it is too big, not UTF-8 text, has NUL
    bytes, or is not a lead CSV at all (no header, too many rows, a runaway value)."""
    limit = settings.LEADS_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise ImportFileError(_("The file is too big (%(size)s); the limit is %(max)s. Split it into smaller "
                                "files and upload them one by one.") %
                              {"size": filesizeformat(len(data)), "max": filesizeformat(limit)})
    if b"\x00" in data:
        raise ImportFileError(_("The file is not a CSV text file (it contains NUL bytes). In your spreadsheet, "
                                "save it as “CSV UTF-8” and upload it again."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8” and "
                                "upload it again."))
    lead_import_check(text)
    return text


def _column_label(column):
    from ..models import Lead

    return str(Lead._meta.get_field(column).verbose_name)


def _records(text):
    """(header, iterator of (first line, record)) of a CSV text; ImportFileError for what the csv module
    refuses, with the line it stopped at."""
    reader = csv.reader(io.StringIO(text))

    def _next():
        try:
            return next(reader)
        except csv.Error:
            limit = csv.field_size_limit()
            raise ImportFileError(_("Line %(n)s: a value is longer than %(max)s characters, or a quote (\") is "
                                    "not closed. Nothing was imported.") % {"n": reader.line_num, "max": limit})

    header = _next()

    def rows():
        line = reader.line_num
        while True:
            try:
                record = _next()
            except StopIteration:
                return
            start, line = line + 1, reader.line_num
            yield start, record

    return header, rows()


def _header_columns(header):
    columns = [IMPORT_COLUMNS.get(h.strip().lower()) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ImportFileError(
            _("Line 1 must name the columns, and these are missing: %(cols)s. Nothing was imported.")
            % {"cols": ", ".join(_column_label(c) for c in missing)})
    return columns


def lead_import_check(text):
    """Raise ImportFileError (translated) unless `text` is a lead CSV within the limits: a header naming the
    required columns, at most LEADS_IMPORT_MAX_ROWS rows, every value within the csv module's limit, no NUL."""
    if "\x00" in text:
        raise ImportFileError(_("The file is not a CSV text file (it contains NUL bytes). In your spreadsheet, "
                                "save it as “CSV UTF-8” and upload it again."))
    if not text.strip():
        raise ImportFileError(_("The file is empty."))
    try:
        header, rows = _records(text)
    except StopIteration:
        raise ImportFileError(_("The file is empty."))
    _header_columns(header)
    limit, count = settings.LEADS_IMPORT_MAX_ROWS, 0
    for _start, record in rows:
        if any(cell.strip() for cell in record):
            count += 1
            if count > limit:
                raise ImportFileError(_("The file has more than %(max)s lead rows. Split it into smaller files "
                                        "and upload them one by one.") % {"max": limit})
    if not count:
        raise ImportFileError(_("The file has no lead rows."))


def lead_import_parse(text):
    """Validate every row of a CSV text. Returns (rows, errors): cleaned field dicts, and
    "Line N: field: reason" messages with the file's own line numbers (the header is line 1)."""
    from ..forms import LeadRowForm

    try:
        lead_import_check(text)
        header, records = _records(text)
        columns = _header_columns(header)
    except ImportFileError as exc:
        return [], [exc.message]
    rows, errors = [], []
    for start, record in records:
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


# --- the job ----------------------------------------------------------------------------------------------------


@transaction.atomic
def lead_import_start(*, actor, filename, content):
    """Record an upload and ring its worker after commit (a Celery task: big files don't block the page). A file
    that cannot be a lead import raises ImportFileError and stores nothing; a broker outage only delays the job
    (the sweep starts it)."""
    from ..models import LeadImport
    from ..tasks import lead_import_run_task

    if len(content.encode("utf-8")) > settings.LEADS_IMPORT_MAX_BYTES:
        raise ImportFileError(_("The file is too big; the limit is %(max)s.") %
                              {"max": filesizeformat(settings.LEADS_IMPORT_MAX_BYTES)})
    lead_import_check(content)
    job = LeadImport.objects.create(created_by=actor, filename=filename[:200], content=content)
    task_publish_on_commit(lead_import_run_task, import_id=job.pk)
    return job


def _claimable(now):
    from ..models import LeadImport

    return Q(status=LeadImport.Status.PENDING) | Q(status=LeadImport.Status.RUNNING, lease_until__lt=now)


def lead_import_claim(*, import_id):
    """Take the job under a fresh lease if it is Waiting, or Running under a lease that ran out, and attempts are
    left; returns the attempt number, or None when the job is not (or no longer) this caller's to run. A job
    whose attempts are used up is Failed here."""
    from ..models import LeadImport

    now = timezone.now()
    lease = timedelta(seconds=settings.LEADS_IMPORT_LEASE_SECONDS)
    job = LeadImport.objects.filter(_claimable(now), pk=import_id)
    claimed = job.filter(attempts__lt=settings.LEADS_IMPORT_MAX_ATTEMPTS).update(
        status=LeadImport.Status.RUNNING, attempts=F("attempts") + 1, claimed_at=now, lease_until=now + lease
    )
    if not claimed:
        _fail_exhausted(job)
        return None
    return LeadImport.objects.values_list("attempts", flat=True).get(pk=import_id)


def _fail_exhausted(jobs):
    from ..models import LeadImport

    return jobs.filter(attempts__gte=settings.LEADS_IMPORT_MAX_ATTEMPTS).update(
        status=LeadImport.Status.FAILED, failure_reason=LeadImport.FailureReason.INTERRUPTED,
        lease_until=None, finished_at=timezone.now(),
    )


def lead_import_run(*, import_id):
    """Validate the whole file, then create every lead (each routed at once) and mark the job Imported in ONE
    transaction: a file with a bad row imports nothing and reports each bad row. Safe to run twice and on many
    workers: only the worker holding the job's lease runs it."""
    from django.core.cache import cache

    from ..models import LeadImport

    attempt = lead_import_claim(import_id=import_id)
    if attempt is None:
        return "already handled"
    job = LeadImport.objects.select_related("created_by").get(pk=import_id)
    mine = LeadImport.objects.filter(pk=job.pk, status=LeadImport.Status.RUNNING, attempts=attempt)
    try:
        with translation.override(job.created_by.language or settings.LANGUAGE_CODE):
            rows, errors = lead_import_parse(job.content)
        total = len(rows) + len(errors)
        if errors:
            mine.update(status=LeadImport.Status.FAILED, errors=errors, total_rows=total, lease_until=None,
                        finished_at=timezone.now())
            return f"rejected: {len(errors)} bad rows"
        mine.update(total_rows=total)
        cache.set(_progress_key(job.pk), 0, 3600)
        with transaction.atomic():
            # The job's row stays locked until the leads commit with its Imported status: a sweep that finds the
            # lease run out waits here, then finds the job done.
            if not mine.select_for_update().exists():
                return "lease lost"
            routing = routing_rules()
            for i, row in enumerate(rows, start=1):
                lead_create(actor=job.created_by, channel="csv", routing=routing, **row)
                if i % IMPORT_PROGRESS_EVERY == 0:
                    cache.set(_progress_key(job.pk), i, 3600)
            mine.update(status=LeadImport.Status.DONE, imported_rows=len(rows), content="", lease_until=None,
                        finished_at=timezone.now())
    except SoftTimeLimitExceeded:
        mine.update(status=LeadImport.Status.FAILED, failure_reason=LeadImport.FailureReason.TIMED_OUT,
                    lease_until=None, finished_at=timezone.now())
        return "stopped: out of time"
    except Exception:
        logger.exception("Lead import %s: attempt %s failed", import_id, attempt)
        if attempt >= settings.LEADS_IMPORT_MAX_ATTEMPTS:
            mine.update(status=LeadImport.Status.FAILED, failure_reason=LeadImport.FailureReason.ERROR,
                        lease_until=None, finished_at=timezone.now())
            return "failed: unexpected error"
        mine.update(status=LeadImport.Status.PENDING, lease_until=None)  # the sweep tries again
        return "attempt failed: queued again"
    return f"imported {len(rows)} leads"


def lead_import_sweep():
    """Queue again every import whose doorbell was lost (Waiting for longer than LEADS_IMPORT_REQUEUE_SECONDS) or
    whose worker died (Running, its lease run out); fail those that used up their attempts. Returns a summary."""
    from ..models import LeadImport
    from ..tasks import lead_import_run_task

    now = timezone.now()
    failed = _fail_exhausted(LeadImport.objects.filter(_claimable(now)))
    waiting_since = now - timedelta(seconds=settings.LEADS_IMPORT_REQUEUE_SECONDS)
    due = LeadImport.objects.filter(
        Q(status=LeadImport.Status.PENDING, created_at__lt=waiting_since)
        | Q(status=LeadImport.Status.RUNNING, lease_until__lt=now)
    ).values_list("pk", flat=True)
    queued = sum(task_publish(lead_import_run_task, import_id=pk) for pk in due)
    return f"lead imports: {queued} queued again, {failed} failed after {settings.LEADS_IMPORT_MAX_ATTEMPTS} attempts"
