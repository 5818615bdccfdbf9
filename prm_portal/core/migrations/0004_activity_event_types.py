# Events become types (STYLE 7, SPEC C10): the free-text verbs stored so far ("claimed", "created", ...) become the
# namespaced codes of the apps' EventType members ("lead.claimed", "opportunity.created", ...). A code alone now
# says what happened: the old verbs were shared between apps ("created", "updated") and some split by their data
# (a claim from a queue or of a lead given to the partner; a note, link or file). Rows with a verb not listed here
# keep it and read as a generic sentence. Reversible: each code maps back to the verb it came from.

from django.db import migrations
from django.db.models import Q

# Routing events kept the rule's name, or one of these words (in the language of whoever created the lead).
DEFAULT_QUEUE_WORDS = ["default queue", "výchozí fronta", "cola predeterminada", "kolejka domyślna"]
NO_RULE_WORDS = ["no rule matched", "žádné pravidlo neodpovídá", "ninguna regla coincidió", "żadna reguła nie pasowała"]

NO_QUEUE = Q(data__queue__isnull=True) | Q(data__queue=None) | Q(data__queue="")

# (app_label, model or None for any, old verb, new code, extra condition or None). The first match wins.
MAPPING = [
    (None, None, "resource_added", "core.note_added", Q(data__kind="note")),
    (None, None, "resource_added", "core.link_added", Q(data__kind="link")),
    (None, None, "resource_added", "core.file_added", None),
    ("leads", "lead", "created", "lead.created", None),
    ("leads", "lead", "routed", "lead.routed_default", Q(data__rule__in=DEFAULT_QUEUE_WORDS)),
    ("leads", "lead", "routed", "lead.unrouted", Q(data__rule__in=NO_RULE_WORDS)),
    ("leads", "lead", "routed", "lead.routed", None),
    ("leads", "lead", "assigned", "lead.assigned_partner", Q(data__owner="") | Q(data__owner__isnull=True)),
    ("leads", "lead", "assigned", "lead.assigned_user", None),
    ("leads", "lead", "claimed", "lead.claimed_direct", NO_QUEUE),
    ("leads", "lead", "claimed", "lead.claimed", None),
    ("leads", "lead", "updated", "lead.updated", None),
    ("leads", "lead", "status_changed", "lead.status_changed", None),
    ("leads", "lead", "reassigned", "lead.reassigned", None),
    ("leads", "lead", "notified", "lead.notified", None),
    ("leads", "lead", "converted", "lead.converted", None),
    ("leads", "claimlimitsettings", "updated", "lead.claim_limits_changed", None),
    ("opportunities", "opportunity", "created", "opportunity.created", None),
    ("opportunities", "opportunity", "stage_changed", "opportunity.stage_changed", None),
    ("opportunities", "opportunity", "updated", "opportunity.updated", None),
    ("referrals", "referral", "received", "referral.received", None),
    ("referrals", "referral", "offered_to_next", "referral.offered_to_next", None),
    ("referrals", "referral", "accepted", "referral.accepted", None),
    ("referrals", "referral", "declined", "referral.declined", None),
    ("referrals", "referral", "edited", "referral.edited", None),
    ("referrals", "referral", "team_member_added", "referral.team_member_added", None),
    ("referrals", "referral", "stage_marked", "referral.stage_marked", None),
    ("referrals", "referral", "won", "referral.won", None),
    ("referrals", "referral", "lost", "referral.lost", None),
    ("referrals", "referral", "expired", "referral.expired", None),
    ("referrals", "referral", "created", "referral.created", None),
    ("referrals", "referral", "registration_submitted", "referral.registration_submitted", None),
    ("referrals", "referral", "registration_resubmitted", "referral.registration_resubmitted", None),
    ("referrals", "referral", "registration_approved", "referral.registration_approved", None),
    ("referrals", "referral", "registration_rejected", "referral.registration_rejected", None),
    ("referrals", "referral", "registration_more_info", "referral.registration_more_info", None),
    ("accounts", "portalsettings", "prm_enabled", "account.prm_enabled", None),
    ("accounts", "portalsettings", "sharing_applied", "account.sharing_applied", None),
    ("accounts", "partneraccount", "account_created", "account.created", None),
    ("accounts", "partneraccount", "account_updated", "account.updated", None),
    ("accounts", "partneraccount", "partner_enabled", "account.partner_enabled", None),
    ("accounts", "partneraccount", "partner_disabled", "account.partner_disabled", None),
    ("accounts", "partneraccount", "contact_added", "account.contact_added", None),
    ("accounts", "partneraccount", "partner_user_enabled", "account.partner_user_enabled", None),
    ("accounts", "partneraccount", "partner_welcome_resent", "account.welcome_resent", None),
    ("accounts", "partneraccount", "partner_user_updated", "account.partner_user_updated", None),
    ("accounts", "partneraccount", "partner_user_activated", "account.partner_user_activated", None),
    ("accounts", "partneraccount", "partner_user_deactivated", "account.partner_user_deactivated", None),
    ("accounts", "partneraccount", "account_shared", "account.shared", None),
    ("accounts", "partneraccount", "business_profile_updated", "account.business_profile_updated", None),
    ("accounts", "partneraccount", "location_added", "account.location_added", None),
    ("accounts", "partneraccount", "location_updated", "account.location_updated", None),
    ("accounts", "user", "password_set", "account.password_set", None),
]


def _target(app_label, model):
    q = Q()
    if app_label is not None:
        q &= Q(content_type__app_label=app_label, content_type__model=model)
    return q


def verbs_to_codes(apps, schema_editor):
    ActivityEvent = apps.get_model("core", "ActivityEvent")
    for app_label, model, old, new, condition in MAPPING:
        rows = ActivityEvent.objects.filter(_target(app_label, model), verb=old)
        if condition is not None:
            rows = rows.filter(condition)
        rows.update(verb=new)


def codes_to_verbs(apps, schema_editor):
    ActivityEvent = apps.get_model("core", "ActivityEvent")
    for app_label, model, old, new, _condition in MAPPING:
        ActivityEvent.objects.filter(_target(app_label, model), verb=new).update(verb=old)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0003_outbox"),
    ]

    operations = [
        migrations.RunPython(verbs_to_codes, codes_to_verbs, elidable=False),
    ]
