"""Writes for deal registrations (H3) and channel conflicts (H4): one function per state change."""

from .conflicts import (
    UNDER_REVIEW_MESSAGE,
    conflict_detect_record,
    conflict_resolve,
    conflicts_open_for,
    record_is_under_review,
)
from .lapse import registration_lapse_overdue, registration_remind_lapsing
from .registration import (
    FIELDS,
    protection_days_default,
    registration_extend,
    registration_request_renewal,
    registration_resubmit,
    registration_review,
    registration_submit,
)

__all__ = [
    "FIELDS",
    "UNDER_REVIEW_MESSAGE",
    "conflict_detect_record",
    "conflict_resolve",
    "conflicts_open_for",
    "protection_days_default",
    "record_is_under_review",
    "registration_extend",
    "registration_lapse_overdue",
    "registration_remind_lapsing",
    "registration_request_renewal",
    "registration_resubmit",
    "registration_review",
    "registration_submit",
]
