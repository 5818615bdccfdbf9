from django.urls import path

from . import views

app_name = "opportunities"
urlpatterns = [
    path("", views.opportunity_list, name="list"),
    path("export.csv", views.opportunity_export, name="export"),
    path("new/", views.opportunity_create, name="create"),
    path("<int:pk>/", views.opportunity_detail, name="detail"),
    path("<int:pk>/live/", views.opportunity_live, name="live"),
    path("<int:pk>/edit/", views.opportunity_edit, name="edit"),
    path("<int:pk>/stage/", views.opportunity_stage_move, name="stage"),
    path("<int:pk>/resources/", views.opportunity_resource_add, name="resource_add"),
    path("<int:pk>/resources/<int:resource_pk>/file/", views.opportunity_resource_file, name="resource_file"),
]
