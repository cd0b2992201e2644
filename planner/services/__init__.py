"""Every write in the planner. Views, admin actions, commands, tasks and the API call these."""

from planner.services.control import (
    post_publish_now,
    post_retry,
    publication_retract,
    workspace_pause,
    workspace_resume,
)
from planner.services.planning import (
    approval_chain_set,
    campaign_save,
    channel_save,
    channel_set_active,
    label_get_or_create,
    objective_save,
)
from planner.services.posts import (
    comment_add,
    post_cancel,
    post_create,
    post_decide,
    post_edit,
    post_reopen,
    post_reschedule,
    post_retract,
    post_submit,
    post_update_details,
    post_withdraw,
)
from planner.services.publishing import (
    channel_store_credentials,
    post_engine_transition,
    publication_claim_due,
    publication_reap_expired,
    publication_reconcile,
    publication_send,
)

__all__ = [
    "approval_chain_set",
    "campaign_save",
    "channel_save",
    "channel_set_active",
    "channel_store_credentials",
    "comment_add",
    "label_get_or_create",
    "objective_save",
    "post_cancel",
    "post_create",
    "post_decide",
    "post_edit",
    "post_engine_transition",
    "post_publish_now",
    "post_reopen",
    "post_reschedule",
    "post_retract",
    "post_retry",
    "post_submit",
    "post_update_details",
    "post_withdraw",
    "publication_claim_due",
    "publication_reap_expired",
    "publication_reconcile",
    "publication_retract",
    "publication_send",
    "workspace_pause",
    "workspace_resume",
]
