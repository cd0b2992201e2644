from django.urls import path

from planner.views import (
    calendar,
    campaigns,
    channels,
    editor,
    media,
    objectives,
    posts,
    publishing,
)
from planner.views import chains as chain_views
from planner.views import notifications as notification_views
from planner.views import queues as queue_views
from planner.views import settings as settings_views
from planner.views.approvals import comment_add, post_decide
from planner.views.home import home
from planner.views.versions import post_versions

app_name = "planner"

urlpatterns = [
    path("", home, name="home"),
    path("calendar/", calendar.calendar_page, name="calendar"),
    path("queues/", queue_views.queue_index, name="queues"),
    path("queues/<slug:name>/", queue_views.queue_page, name="queue"),
    path("objectives/", objectives.objective_list, name="objective_list"),
    path("objectives/new/", objectives.objective_form, name="objective_new"),
    path("objectives/<int:pk>/edit/", objectives.objective_form, name="objective_edit"),
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaigns.campaign_form, name="campaign_new"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", campaigns.campaign_form, name="campaign_edit"),
    path(
        "campaigns/<int:pk>/approvals/",
        chain_views.approval_chain_campaign,
        name="approval_chain_campaign",
    ),
    path(
        "campaigns/<int:pk>/approvals/steps/<int:position>/remove/",
        chain_views.approval_step_remove_campaign,
        name="approval_step_remove_campaign",
    ),
    path(
        "campaigns/<int:pk>/approvals/reset/",
        chain_views.approval_chain_reset,
        name="approval_chain_reset",
    ),
    path("settings/", settings_views.settings_page, name="settings"),
    path(
        "settings/webhook-test/",
        settings_views.settings_webhook_test,
        name="settings_webhook_test",
    ),
    path("settings/approvals/", chain_views.approval_chain_default, name="approval_chain_default"),
    path(
        "settings/approvals/steps/<int:position>/remove/",
        chain_views.approval_step_remove_default,
        name="approval_step_remove_default",
    ),
    path("calendar/events/", calendar.calendar_events, name="calendar_events"),
    path("posts/new/", editor.post_new, name="post_new"),
    path("posts/counters/", editor.post_counters, name="post_counters"),
    path("posts/<int:pk>/", posts.post_detail, name="post_detail"),
    path("posts/<int:pk>/edit/", editor.post_edit, name="post_edit"),
    path("posts/new/media/", media.media_upload_new, name="media_upload_new"),
    path("posts/<int:pk>/media/", media.media_upload, name="media_upload"),
    path("media/<int:pk>/", media.media_file, name="media_file"),
    path("media/<int:pk>/remove/", media.media_remove, name="media_remove"),
    path("media/<int:pk>/move/", media.media_move, name="media_move"),
    path("posts/<int:pk>/move/", calendar.post_move, name="post_move"),
    path("posts/<int:pk>/reschedule/", posts.post_reschedule, name="post_reschedule"),
    path("posts/<int:pk>/decide/", post_decide, name="post_decide"),
    path("posts/<int:pk>/comments/", comment_add, name="comment_add"),
    path("posts/<int:pk>/versions/", post_versions, name="post_versions"),
    path("posts/<int:pk>/<slug:action>/", posts.post_act, name="post_act"),
    path("channels/", channels.channel_list, name="channel_list"),
    path("channels/new/", channels.channel_new, name="channel_new"),
    path("channels/<int:pk>/edit/", channels.channel_edit, name="channel_edit"),
    path("channels/<int:pk>/test/", channels.channel_test, name="channel_test"),
    path("channels/<int:pk>/disable/", channels.channel_disable, name="channel_disable"),
    path("channels/<int:pk>/enable/", channels.channel_enable, name="channel_enable"),
    path("publishing/pause/", publishing.pause, name="publishing_pause"),
    path("publishing/resume/", publishing.resume, name="publishing_resume"),
    path("notifications/", notification_views.inbox, name="notifications"),
    path("notifications/read/", notification_views.mark_all_read, name="notifications_mark_read"),
    path(
        "notifications/preferences/",
        notification_views.preferences,
        name="notification_preferences",
    ),
    path(
        "notifications/<int:pk>/open/",
        notification_views.notification_open,
        name="notification_open",
    ),
]
