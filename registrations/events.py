"""What happens to deal registrations (H3) and channel conflicts (H4), as event types for the timeline."""

from django.utils.translation import gettext_lazy as _

from prm_portal.core.events import INTERNAL, EventType, register

from .models import Conflict, Registration

# What a partner is told about the end of a review of its record: never who else was involved.
REVIEW_OUTCOMES = {
    Conflict.Decision.BOTH_PROCEED: _("the record proceeds"),
    Conflict.Decision.FIRST_KEEPS: _("the record keeps its protection"),
    "not_protected": _("the record proceeds without protection"),
    Conflict.Decision.MERGE: _("the record was merged into an existing one"),
    "registration_rejected": _("the registration was not approved"),
}


@register
class RegistrationEvent(EventType):
    SUBMITTED = "registration.submitted", _("%(actor)s registered the deal for %(customer)s")
    RESUBMITTED = "registration.resubmitted", _("%(actor)s sent the registration again with more information")
    APPROVED = "registration.approved", _("%(actor)s approved the registration, protected until %(protected_until)s")
    REJECTED = "registration.rejected", _("%(actor)s rejected the registration: %(comment)s")
    MORE_INFO = "registration.more_info", _("%(actor)s asked for more information: %(comment)s")
    RENEWAL_REQUESTED = "registration.renewal_requested", _("%(actor)s asked to extend the protection")
    EXTENDED = "registration.extended", _("%(actor)s extended the protection until %(protected_until)s")
    LAPSED = "registration.lapsed", _("The protection lapsed after %(protected_until)s")

    @classmethod
    def decided(cls, status):
        """The event of a review that left the registration in `status`."""
        return {
            Registration.Status.APPROVED: cls.APPROVED,
            Registration.Status.REJECTED: cls.REJECTED,
            Registration.Status.MORE_INFO: cls.MORE_INFO,
        }[status]

    def extra_fields(self):
        return {"status": (_("status"), Registration.Status)}

    def shows_changes(self):
        return self is RegistrationEvent.RESUBMITTED


@register
class ConflictEvent(EventType):
    OPENED = "conflict.opened", INTERNAL, _("Possible channel conflict: the same %(evidence)s")
    RESOLVED = "conflict.resolved", INTERNAL, _("%(actor)s decided the conflict: %(decision)s")
    UNDER_REVIEW = "conflict.under_review", _("The record is under review by the channel team")
    REVIEW_FINISHED = "conflict.review_finished", _("%(actor)s finished the review: %(outcome)s")

    def shows_changes(self):
        return False

    def prepare(self, params, *, event, viewer):
        from .selectors import EVIDENCE_LABELS

        data = event.data or {}
        if self is ConflictEvent.OPENED and isinstance(data.get("evidence"), list):
            params["evidence"] = ", ".join(str(EVIDENCE_LABELS.get(kind, kind)) for kind in data["evidence"])
        elif self is ConflictEvent.RESOLVED and data.get("decision") in Conflict.Decision.values:
            params["decision"] = str(Conflict.Decision(data["decision"]).label)
        elif self is ConflictEvent.REVIEW_FINISHED and data.get("outcome") in REVIEW_OUTCOMES:
            params["outcome"] = str(REVIEW_OUTCOMES[data["outcome"]])
