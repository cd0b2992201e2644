from django.urls import path

from planner.views import posts, publishing
from planner.views.home import home

app_name = "planner"

urlpatterns = [
    path("", home, name="home"),
    path("posts/<int:pk>/", posts.post_detail, name="post_detail"),
    path("posts/<int:pk>/<slug:action>/", posts.post_act, name="post_act"),
    path("publishing/pause/", publishing.pause, name="publishing_pause"),
    path("publishing/resume/", publishing.resume, name="publishing_resume"),
]
