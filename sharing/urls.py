"""The external user access wizard (A3, A4), mounted under Setup → Partners (partners/setup/sharing/)."""

from django.urls import path

from . import views

app_name = "sharing"
urlpatterns = [
    path("", views.sharing_start, name="start"),
    path("step/<int:step>/", views.sharing_step, name="step"),
    path("done/", views.sharing_done, name="done"),
    path("cancel/", views.sharing_cancel, name="cancel"),
]
