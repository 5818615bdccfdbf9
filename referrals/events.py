"""What happens to referrals and outbound deals (SPEC E1-E13), as event types for the timeline (core.events)."""

from django.utils.translation import gettext_lazy as _

from prm_portal.core.events import INTERNAL, EventType, register

from .models import DealRegistration, Referral


@register
class ReferralEvent(EventType):
    RECEIVED = "referral.received", _("%(actor)s sent the referral to %(location)s")
    OFFERED_TO_NEXT = "referral.offered_to_next", INTERNAL, _(
        "%(actor)s offered the inquiry to the next matching partner")
    ACCEPTED = "referral.accepted", _("%(actor)s accepted the referral")
    DECLINED = "referral.declined", _("%(actor)s declined the referral: %(reason)s")
    EDITED = "referral.edited", _("%(actor)s edited the deal")
    TEAM_MEMBER_ADDED = "referral.team_member_added", _("%(actor)s added %(name)s to the deal team")
    STAGE_MARKED = "referral.stage_marked", _("%(actor)s marked the sales stage %(new_sales_stage)s done")
    WON = "referral.won", _("%(actor)s marked the deal won")
    LOST = "referral.lost", _("%(actor)s marked the deal lost: %(reason)s")
    EXPIRED = "referral.expired", _("The referral expired without an answer")
    CREATED = "referral.created", _("%(actor)s created the outbound deal (%(deal_type)s)")
    REGISTRATION_SUBMITTED = "referral.registration_submitted", _("%(actor)s submitted the deal registration")
    REGISTRATION_RESUBMITTED = "referral.registration_resubmitted", _(
        "%(actor)s submitted the deal registration again with more information")
    REGISTRATION_APPROVED = "referral.registration_approved", _("%(actor)s approved the deal registration")
    REGISTRATION_REJECTED = "referral.registration_rejected", _(
        "%(actor)s rejected the deal registration: %(comment)s")
    REGISTRATION_MORE_INFO = "referral.registration_more_info", _(
        "%(actor)s asked for more information about the deal registration: %(comment)s")

    @classmethod
    def registration_reviewed(cls, status):
        """The event of a review that left the registration in `status` (a DealRegistration.Status)."""
        return {
            DealRegistration.Status.APPROVED: cls.REGISTRATION_APPROVED,
            DealRegistration.Status.REJECTED: cls.REGISTRATION_REJECTED,
            DealRegistration.Status.MORE_INFO: cls.REGISTRATION_MORE_INFO,
        }[status]

    def extra_fields(self):
        return {"registration": (_("deal registration"), DealRegistration.Status)}

    def shows_changes(self):
        return self is ReferralEvent.EDITED

    def prepare(self, params, *, event, viewer):
        data = event.data or {}
        if self is ReferralEvent.DECLINED and data.get("reason") in Referral.DeclineReason.values:
            params["reason"] = str(Referral.DeclineReason(data["reason"]).label)
        elif self is ReferralEvent.CREATED and data.get("deal_type") in Referral.DealType.values:
            params["deal_type"] = str(Referral.DealType(data["deal_type"]).label)
