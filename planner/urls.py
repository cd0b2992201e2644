from django.urls import path

from planner.views import (
    calendar,
    campaigns,
    channels,
    connect,
    editor,
    feeds,
    key_dates,
    media,
    objectives,
    posts,
    public_media,
    publishing,
)
from planner.views import chains as chain_views
from planner.views import notifications as notification_views
from planner.views import queues as queue_views
from planner.views import reports as report_views
from planner.views import settings as settings_views
from planner.views.approvals import comment_add, post_decide
from planner.views.audit import audit_trail_page
from planner.views.home import home
from planner.views.versions import post_versions
from planner.views.weak_link import weak_link_report

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
    path("campaigns/<int:pk>/report/", report_views.campaign_report, name="campaign_report"),
    path("reports/", report_views.dashboard, name="reports"),
    path("campaigns/<int:pk>/calendar.ics", feeds.campaign_calendar, name="campaign_calendar"),
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
    path("audit/", audit_trail_page, name="audit_trail"),
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
    path("key-dates/", key_dates.key_date_list, name="key_dates"),
    path("key-dates/import/", key_dates.key_dates_import, name="key_dates_import"),
    path("key-dates/imports/<int:import_id>/", key_dates.key_date_import, name="key_date_import"),
    path("key-dates/add/", key_dates.key_date_add, name="key_date_add"),
    path("key-dates/<int:key_date_id>/remove/", key_dates.key_date_remove, name="key_date_remove"),
    path(
        "key-dates/sources/<int:source_id>/refresh/",
        key_dates.key_date_source_refresh,
        name="key_date_source_refresh",
    ),
    path(
        "key-dates/sources/<int:source_id>/remove/",
        key_dates.key_date_source_remove,
        name="key_date_source_remove",
    ),
    path("posts/new/", editor.post_new, name="post_new"),
    path("posts/counters/", editor.post_counters, name="post_counters"),
    path("posts/<int:pk>/", posts.post_detail, name="post_detail"),
    path("posts/<int:pk>/edit/", editor.post_edit, name="post_edit"),
    path("posts/new/media/", media.media_upload_new, name="media_upload_new"),
    path("posts/<int:pk>/media/", media.media_upload, name="media_upload"),
    path(
        "posts/<int:pk>/channels/<int:channel_id>/media/",
        media.variant_media,
        name="variant_media",
    ),
    path("media/<int:pk>/", media.media_file, name="media_file"),
    # No login: a network fetching a file at its signed address (planner/publishing/media_links.py).
    path(
        "public/media/<str:token>/<str:name>",
        public_media.public_media,
        name="public_media",
    ),
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
    path("channels/<int:pk>/reconnect/", connect.channel_reconnect, name="channel_reconnect"),
    path(
        "channels/connect/choose/<uuid:pending>/",
        connect.channel_connect_choose,
        name="channel_connect_choose",
    ),
    path("channels/connect/<slug:network>/", connect.channel_connect, name="channel_connect"),
    path(
        "channels/connect/<slug:network>/callback/",
        connect.channel_connect_callback,
        name="channel_connect_callback",
    ),
    path("publishing/pause/", publishing.pause, name="publishing_pause"),
    path("publishing/resume/", publishing.resume, name="publishing_resume"),
    path("feeds/", feeds.feed_list, name="feeds"),
    path("feeds/new/", feeds.feed_create, name="feed_create"),
    path("feeds/<int:pk>/edit/", feeds.feed_edit, name="feed_edit"),
    path("feeds/<int:pk>/regenerate/", feeds.feed_regenerate, name="feed_regenerate"),
    path("feeds/<int:pk>/revoke/", feeds.feed_revoke, name="feed_revoke"),
    # The private address itself: no sign-in, the token is the credential.
    path("feeds/<str:token>.ics", feeds.feed, name="feed"),
    path("reports/weak-link/", weak_link_report, name="weak_link"),
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
