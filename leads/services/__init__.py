"""Writes for leads: create and route, claim under limits, edit, reassign, convert, import (C1–C12).

Every function here is one state change: it checks the current state, writes the lead, records the
timeline event in the same transaction and queues its emails on commit.
"""

from .claims import (
    ALREADY_CLAIMED,
    ClaimLimitReached,
    claim_limits_for,
    claim_limits_set,
    claim_usage_for,
    lead_claim,
    queue_ids_for,
)
from .imports import (
    ImportFileError,
    lead_import_claim,
    lead_import_parse,
    lead_import_progress,
    lead_import_read,
    lead_import_run,
    lead_import_start,
    lead_import_sweep,
)
from .records import lead_convert, lead_first_responses_rebuild, lead_reassign, lead_resource_add, lead_update
from .routing import (
    EDITABLE_FIELDS,
    eligible_user_ids,
    lead_create,
    nearest_partner,
    round_robin_next,
    routing_rules,
    rule_matches,
)
from .sla import sla_clock_start, sla_clocks_for, sla_ladder_run, sla_lead_touched
from .webform import WebFormAlreadySent, WebFormRateLimited, lead_web_form_submit, web_form_submission_prune

__all__ = [
    "ALREADY_CLAIMED", "EDITABLE_FIELDS", "ClaimLimitReached", "claim_limits_for", "claim_limits_set",
    "claim_usage_for", "lead_claim", "lead_convert", "lead_create", "lead_import_parse", "lead_import_progress",
    "lead_first_responses_rebuild", "lead_import_run", "lead_import_start", "lead_reassign", "lead_resource_add",
    "lead_update", "queue_ids_for",
    "round_robin_next", "routing_rules", "rule_matches",
    "ImportFileError", "lead_import_claim", "lead_import_read", "lead_import_sweep",
    "WebFormAlreadySent", "WebFormRateLimited", "lead_web_form_submit", "web_form_submission_prune",
    "eligible_user_ids", "nearest_partner", "sla_clock_start", "sla_clocks_for", "sla_ladder_run",
    "sla_lead_touched",
]
