"""CSV import: every malformed file gets a clear message on the form and stores nothing; a job a dead worker left
is picked up again by the sweep, and Failed with its reason after the last attempt; all-or-nothing throughout."""

import csv
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead, LeadImport
from leads.services import ImportFileError, lead_import_claim, lead_import_run, lead_import_start, lead_import_sweep
from tests.factories import QueueFactory

pytestmark = pytest.mark.django_db

GOOD = "company,last_name,email\nKovo Hradec,Horák,jan@kovo.example\nPivovar Lipno,Nová,anna@lipno.example\n"


def _upload(client, user, data, name="leads.csv"):
    client.force_login(user)
    return client.post(reverse("leads:import"), {"file": SimpleUploadedFile(name, data)})


def _form_error(response):
    assert response.status_code == 200, "the form is shown again"
    return " ".join(str(e) for e in response.context["form"].errors["file"])


@pytest.mark.parametrize(("data", "message"), [
    (GOOD.encode() + b"Broken\x00Ltd,Eva,eva@x.example\n", "contains NUL bytes"),
    ("company,last_name\nKovo,Horák\n".encode("utf-16"), "contains NUL bytes"),
    ("company,last_name\nKovo,Horák\n".encode("cp1250") + "Žluťoučký,Kůň\n".encode("cp1250"), "not UTF-8 text"),
    (b"company,last_name\nKovo,\"" + b"x" * (csv.field_size_limit() + 10) + b"\"\n", "Line 2: a value is longer"),
    (b"company,last_name\nKovo,\"Horak\nnever closed\n" + b"y" * (csv.field_size_limit() + 10), "not closed"),
    (b"firm,surname\nKovo,Horak\n", "these are missing: company, last name"),
    (b"", "empty"),
    (b"company,last_name\n", "no lead rows"),
])
def test_a_malformed_file_is_refused_on_the_form_and_nothing_is_stored(channel_manager, client, data, message):
    response = _upload(client, channel_manager, data)
    assert message in _form_error(response)
    assert not LeadImport.objects.exists()


def test_a_file_over_the_size_limit_is_refused_and_not_stored(channel_manager, client, settings):
    settings.LEADS_IMPORT_MAX_BYTES = 5 * 1024 * 1024
    big = GOOD.encode() + b"Acme,Doe,doe@acme.example\n" * (11 * 1024 * 1024 // 26)
    response = _upload(client, channel_manager, big)
    error = _form_error(response)
    assert "The file is too big (11.0" in error and "the limit is 5.0" in error
    assert not LeadImport.objects.exists()


def test_a_file_with_too_many_rows_is_refused(channel_manager, client, settings):
    settings.LEADS_IMPORT_MAX_ROWS = 3
    response = _upload(client, channel_manager, GOOD.encode() + b"A,B\nC,D\n")
    assert "more than 3 lead rows" in _form_error(response)
    assert not LeadImport.objects.exists()


def test_the_service_refuses_a_bad_file_whatever_the_surface(channel_manager):
    with pytest.raises(ImportFileError):
        lead_import_start(actor=channel_manager, filename="x.csv", content="company,last_name\nA\x00,B\n")
    assert not LeadImport.objects.exists()


# --- the job's lease ---------------------------------------------------------------------------------------------


def _job(user, **fields):
    return LeadImport.objects.create(created_by=user, filename="leads.csv", content=GOOD, **fields)


def _worker_died(job):
    """A worker claimed the job, then died: Running under a lease that ran out."""
    assert lead_import_claim(import_id=job.pk) is not None
    LeadImport.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))


def test_a_job_a_dead_worker_left_running_is_run_again_by_the_sweep(channel_manager):
    QueueFactory(is_default=True)
    job = _job(channel_manager)
    _worker_died(job)
    assert "1 queued" in lead_import_sweep()  # eager Celery: the queued run happens at once
    job.refresh_from_db()
    assert (job.status, job.attempts, job.imported_rows) == (LeadImport.Status.DONE, 2, 2)
    assert Lead.objects.count() == 2


def test_a_rerun_of_a_job_whose_worker_died_runs_it_instead_of_saying_already_handled(channel_manager):
    job = _job(channel_manager)
    _worker_died(job)
    assert lead_import_run(import_id=job.pk) == "imported 2 leads"


def test_a_running_job_under_a_live_lease_is_not_run_twice(channel_manager):
    job = _job(channel_manager)
    lead_import_claim(import_id=job.pk)
    assert lead_import_run(import_id=job.pk) == "already handled"
    assert "0 queued" in lead_import_sweep()
    assert not Lead.objects.exists()


def test_after_the_last_attempt_the_job_is_failed_with_its_reason_on_its_page(channel_manager, client, settings):
    settings.LEADS_IMPORT_MAX_ATTEMPTS = 2
    job = _job(channel_manager)
    _worker_died(job)
    _worker_died(job)
    assert "1 failed" in lead_import_sweep()
    job.refresh_from_db()
    assert job.status == LeadImport.Status.FAILED
    assert job.failure_reason == LeadImport.FailureReason.INTERRUPTED
    client.force_login(channel_manager)
    html = client.get(reverse("leads:import_detail", args=[job.pk])).content.decode()
    assert "interrupted several times" in html
    assert not Lead.objects.exists()


def test_an_error_midway_imports_nothing_and_the_job_is_tried_again(channel_manager, settings):
    settings.LEADS_IMPORT_MAX_ATTEMPTS = 2
    QueueFactory(is_default=True)
    job = _job(channel_manager)
    from leads.services import routing

    real = routing.lead_create
    calls = []

    def second_row_fails(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(**kwargs)

    with mock.patch("leads.services.imports.lead_create", side_effect=second_row_fails):
        assert lead_import_run(import_id=job.pk) == "attempt failed: queued again"
        assert not Lead.objects.exists()  # all or nothing
        job.refresh_from_db()
        assert job.status == LeadImport.Status.PENDING
        calls.clear()
        assert lead_import_run(import_id=job.pk) == "failed: unexpected error"
    job.refresh_from_db()
    assert (job.status, job.failure_reason) == (LeadImport.Status.FAILED, LeadImport.FailureReason.ERROR)
    assert not Lead.objects.exists()


def test_an_import_that_runs_out_of_time_is_failed_and_imports_nothing(channel_manager):
    from celery.exceptions import SoftTimeLimitExceeded

    job = _job(channel_manager)
    with mock.patch("leads.services.imports.lead_create", side_effect=SoftTimeLimitExceeded()):
        assert lead_import_run(import_id=job.pk) == "stopped: out of time"
    job.refresh_from_db()
    assert (job.status, job.failure_reason) == (LeadImport.Status.FAILED, LeadImport.FailureReason.TIMED_OUT)
    assert not Lead.objects.exists()


def test_the_import_task_stops_before_its_lease_runs_out(settings):
    from leads.tasks import lead_import_run_task

    assert lead_import_run_task.time_limit < settings.LEADS_IMPORT_LEASE_SECONDS
    assert lead_import_run_task.soft_time_limit < lead_import_run_task.time_limit


def test_the_sweep_is_scheduled(settings):
    assert settings.CELERY_BEAT_SCHEDULE["leads-import-sweep"]["task"] == "leads.tasks.lead_import_sweep_task"
