from django.urls import path

from planner.views import calendar, editor, posts, publishing
from planner.views.home import home

app_name = "planner"

urlpatterns = [
    path("", home, name="home"),
    path("calendar/", calendar.calendar_page, name="calendar"),
    path("calendar/events/", calendar.calendar_events, name="calendar_events"),
    path("posts/new/", editor.post_new, name="post_new"),
    path("posts/counters/", editor.post_counters, name="post_counters"),
    path("posts/<int:pk>/", posts.post_detail, name="post_detail"),
    path("posts/<int:pk>/edit/", editor.post_edit, name="post_edit"),
    path("posts/<int:pk>/move/", calendar.post_move, name="post_move"),
    path("posts/<int:pk>/<slug:action>/", posts.post_act, name="post_act"),
    path("publishing/pause/", publishing.pause, name="publishing_pause"),
    path("publishing/resume/", publishing.resume, name="publishing_resume"),
]
