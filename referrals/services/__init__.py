"""Writes for referrals: one function per state change, each with its activity event (E3-E13).

Partner actions (accept, decline, edit, stages, won, lost, registration) are allowed to members of the referral's
partner; callers fetch the referral through `referral_get_for_user`, so location scope is already applied.
"""

from ._common import EDITABLE_FIELDS, REGISTRATION_DEAL_TYPES, SOURCE_FINDER, register_inquiry_handler
from .expiry import (
    EXPIRED_EVENT_DATA,
    referral_expire_if_overdue,
    referral_expire_overdue,
    referral_remind_expiring,
    referrals_expire_overdue_among,
)
from .lifecycle import (
    referral_accept,
    referral_can_win,
    referral_decline,
    referral_favorite_toggle,
    referral_lose,
    referral_offer,
    referral_offer_next,
    referral_send,
    referral_stage_mark,
    referral_team_member_add,
    referral_update,
    referral_win,
    stage_from_input,
)
from .outbound import referral_create_outbound
from .registration import deal_registration_review, deal_registration_submit, referral_needs_registration

__all__ = [
    "EDITABLE_FIELDS",
    "EXPIRED_EVENT_DATA",
    "REGISTRATION_DEAL_TYPES",
    "SOURCE_FINDER",
    "deal_registration_review",
    "deal_registration_submit",
    "referral_accept",
    "referral_can_win",
    "referral_create_outbound",
    "referral_decline",
    "referral_expire_if_overdue",
    "referral_expire_overdue",
    "referrals_expire_overdue_among",
    "referral_favorite_toggle",
    "referral_lose",
    "referral_needs_registration",
    "referral_offer",
    "referral_offer_next",
    "referral_remind_expiring",
    "referral_send",
    "referral_stage_mark",
    "referral_team_member_add",
    "referral_update",
    "referral_win",
    "register_inquiry_handler",
    "stage_from_input",
]
