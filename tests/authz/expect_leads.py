"""Every leads URL × the cast. Partner A's records are built in the kwargs callables; partner B's user and
the other channel manager must get 404 for them (never 403)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from .matrix import LOGIN, Expect, only, signed_in

A_SIDE = ("partner_a_user", "partner_a_admin", "channel_manager", "vendor_admin")
STAFF = ("channel_manager", "other_channel_manager", "vendor_admin")


def _queue_for_a_and_b(cast):
    from leads.models import Queue

    queue, _ = Queue.objects.get_or_create(name="Matrix queue")
    queue.member_accounts.add(cast.partner_a)
    return queue


def _lead_of_a(cast, **extra):
    from leads.models import Lead

    return Lead.objects.create(company="Alpha Customer", last_name="Novak", owner=cast.partner_a_user,
                               partner_account=cast.partner_a, **extra)


def lead_of_a(cast):
    return {"pk": _lead_of_a(cast).pk}


def qualified_lead_of_a(cast):
    from leads.models import Lead

    return {"pk": _lead_of_a(cast, status=Lead.Status.QUALIFIED).pk}


def queue_lead(cast):
    from leads.models import Lead

    return {"pk": Lead.objects.create(company="Queue Customer", last_name="Ruiz", queue=_queue_for_a_and_b(cast)).pk}


def queue_lead_of_a_only(cast):
    """A lead waiting in a queue only partner A's people belong to: theirs to preview, 404 to everyone else."""
    from leads.models import Lead, Queue

    queue, _ = Queue.objects.get_or_create(name="Preview queue")
    queue.member_accounts.add(cast.partner_a)
    return {"pk": Lead.objects.create(company="Preview Customer", last_name="Ruiz", queue=queue).pk}


def file_resource_of_a(cast):
    from prm_portal.core.services import resource_add

    lead = _lead_of_a(cast)
    resource = resource_add(actor=cast.channel_manager, target=lead, kind="file", title="Price list",
                            file=SimpleUploadedFile("prices.txt", b"prices"), partner_account=cast.partner_a)
    return {"pk": lead.pk, "resource_pk": resource.pk}


def import_of_cm(cast):
    from leads.models import LeadImport

    job = LeadImport.objects.create(created_by=cast.channel_manager, filename="leads.csv", content="",
                                    status=LeadImport.Status.DONE)
    return {"pk": job.pk}


def reassign_data(cast):
    lead = _lead_of_a(cast)
    return {"lead": [lead.pk], "owner": cast.partner_a_admin.pk}


EXPECTATIONS = {
    "leads:list": Expect(signed_in()),
    "leads:rows": Expect(signed_in()),
    "leads:detail": Expect(only(A_SIDE), kwargs=lead_of_a),
    # Before Accept: members of the lead's queue only; staff use the lead's page.
    "leads:preview": Expect(only(("partner_a_user", "partner_a_admin")), kwargs=queue_lead_of_a_only),
    "leads:edit": Expect(only(A_SIDE), kwargs=lead_of_a),
    "leads:claim": Expect(
        only(("partner_a_user", "partner_a_admin"), ok=302, channel_manager=302, other_channel_manager=302,
             vendor_admin=302),
        kwargs=queue_lead, method="post",
    ),
    "leads:convert": Expect(
        only(("partner_a_user", "partner_a_admin"), channel_manager=302, vendor_admin=302), kwargs=qualified_lead_of_a
    ),
    "leads:resource_add": Expect(
        only(("channel_manager", "vendor_admin"), ok=302), kwargs=lead_of_a, method="post",
        data=lambda cast: {"kind": "note", "title": "Pitch", "body": "Lead with the ROI story."},
    ),
    "leads:resource_file": Expect(only(A_SIDE), kwargs=file_resource_of_a),
    "leads:reassign": Expect(only(STAFF, ok=302), method="post", data=reassign_data),
    "leads:import": Expect(only(STAFF)),
    "leads:claim_limits": Expect(only(("vendor_admin",))),
    # Issue 13: the service-level breaches of the partners a manager manages (scoped rows; partners: 404).
    "leads:breaches": Expect(only(STAFF)),
    # An import job is its creator's (and the vendor admins'): another manager of the same partner gets 404.
    "leads:import_detail": Expect(only(("channel_manager", "vendor_admin"), granted_channel_manager=404),
                                  kwargs=import_of_cm),
    "leads:web_form": Expect({}, default=200),
    "leads:web_form_thanks": Expect({}, default=200),
    "leads_api:lead-list": Expect({"anonymous": 401}),
    "leads_api:lead-detail": Expect(only(A_SIDE, anonymous=401), kwargs=lead_of_a),
    "leads_api:lead-accept": Expect(
        only(("partner_a_user", "partner_a_admin"), channel_manager=409, other_channel_manager=409,
             vendor_admin=409, anonymous=401),
        kwargs=queue_lead, method="post",
    ),
}
assert LOGIN == 302
