"""Every write in the planner. Views, admin actions, commands, tasks and the API call these."""

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
from planner.services.publishing import post_engine_transition

__all__ = [
    "approval_chain_set",
    "campaign_save",
    "channel_save",
    "channel_set_active",
    "comment_add",
    "label_get_or_create",
    "objective_save",
    "post_cancel",
    "post_create",
    "post_decide",
    "post_edit",
    "post_engine_transition",
    "post_reopen",
    "post_reschedule",
    "post_retract",
    "post_submit",
    "post_update_details",
    "post_withdraw",
]
