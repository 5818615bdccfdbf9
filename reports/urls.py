from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/<slug:chart>.csv", views.dashboard_export, name="dashboard_export"),
]
