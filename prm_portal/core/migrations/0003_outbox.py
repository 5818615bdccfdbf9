# The email ledger (OutboundEmail) becomes the transactional outbox (OutboxMessage): the row is written in the
# transaction of the change and carries everything needed to deliver it; the relay leases, delivers and records.

from email.utils import make_msgid

import django.core.serializers.json
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

LEGACY_PENDING_ERROR = (
    "Queued before the outbox existed: its content was not kept, so it cannot be sent from here. "
    "It is sent if its old task is still waiting in the broker."
)


def ledger_rows_to_outbox(apps, schema_editor):
    OutboxMessage = apps.get_model("core", "OutboxMessage")
    domain = settings.OUTBOX_MESSAGE_ID_DOMAIN
    batch = []
    for row in OutboxMessage.objects.all().iterator(chunk_size=2000):
        # No "context": the old ledger never stored it (the deliver function refuses such a row, clearly).
        row.payload = {"template_key": row.template_key, "to": row.to, "language": "en"}
        row.message_id = make_msgid(domain=domain)
        row.next_attempt_at = row.created_at
        if row.status != "sent":
            row.status = "failed"
            row.last_error = LEGACY_PENDING_ERROR
        batch.append(row)
        if len(batch) >= 2000:
            OutboxMessage.objects.bulk_update(batch, ["payload", "message_id", "next_attempt_at", "status",
                                                      "last_error"])
            batch = []
    if batch:
        OutboxMessage.objects.bulk_update(batch, ["payload", "message_id", "next_attempt_at", "status", "last_error"])


def outbox_rows_to_ledger(apps, schema_editor):
    OutboxMessage = apps.get_model("core", "OutboxMessage")
    OutboxMessage.objects.exclude(kind="email").delete()
    batch = []
    for row in OutboxMessage.objects.all().iterator(chunk_size=2000):
        row.template_key = str(row.payload.get("template_key", ""))[:60]
        row.to = str(row.payload.get("to", ""))[:254]
        if row.status == "sending":
            row.status = "pending"
        batch.append(row)
        if len(batch) >= 2000:
            OutboxMessage.objects.bulk_update(batch, ["template_key", "to", "status"])
            batch = []
    if batch:
        OutboxMessage.objects.bulk_update(batch, ["template_key", "to", "status"])


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_resource"),
    ]

    operations = [
        migrations.RenameModel(old_name="OutboundEmail", new_name="OutboxMessage"),
        migrations.RenameField(model_name="outboxmessage", old_name="subject", new_name="summary"),
        migrations.AddField(
            model_name="outboxmessage",
            name="kind",
            field=models.CharField(choices=[("email", "Email")], default="email", max_length=20, verbose_name="kind"),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="payload",
            field=models.JSONField(default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder,
                                   verbose_name="payload"),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="message_id",
            field=models.CharField(default="", max_length=255, verbose_name="Message-ID"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="next_attempt_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="next attempt"),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="lease_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="leased until"),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="last_error",
            field=models.TextField(blank=True, verbose_name="last error"),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="status",
            field=models.CharField(
                choices=[("pending", "Pending"), ("sending", "Sending"), ("sent", "Sent"), ("failed", "Failed")],
                default="pending", max_length=10, verbose_name="status",
            ),
        ),
        migrations.RunPython(ledger_rows_to_outbox, outbox_rows_to_ledger),
        migrations.RemoveField(model_name="outboxmessage", name="template_key"),
        migrations.RemoveField(model_name="outboxmessage", name="to"),
        migrations.AlterField(
            model_name="outboxmessage",
            name="summary",
            field=models.CharField(blank=True, help_text="e.g. the email's subject", max_length=250,
                                   verbose_name="summary"),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="idempotency_key",
            field=models.CharField(max_length=200, unique=True, verbose_name="idempotency key"),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created"),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sent"),
        ),
        migrations.AlterModelOptions(
            name="outboxmessage",
            options={"ordering": ["-created_at", "-id"], "verbose_name": "outbox message",
                     "verbose_name_plural": "outbox"},
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(condition=models.Q(("status__in", ["pending", "sending"])),
                               fields=["next_attempt_at", "id"], name="outbox_due_idx"),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(fields=["status", "-created_at"], name="outbox_status_idx"),
        ),
    ]
