from django.urls import path

from planner.views.home import home

app_name = "planner"

urlpatterns = [
    path("", home, name="home"),
]
