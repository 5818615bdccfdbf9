from django.urls import path

from . import views

app_name = "leads"
urlpatterns = [
    path("", views.lead_list, name="list"),
    path("rows/", views.lead_rows, name="rows"),
    path("reassign/", views.lead_reassign, name="reassign"),
    path("claim-limits/", views.claim_limits, name="claim_limits"),
    path("breaches/", views.sla_breaches, name="breaches"),
    path("import/", views.lead_import, name="import"),
    path("import/<int:pk>/", views.lead_import_detail, name="import_detail"),
    path("web/", views.lead_web_form, name="web_form"),
    path("web/thanks/", views.lead_web_form_thanks, name="web_form_thanks"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/preview/", views.lead_preview, name="preview"),
    path("<int:pk>/edit/", views.lead_edit, name="edit"),
    path("<int:pk>/accept/", views.lead_claim, name="claim"),
    path("<int:pk>/convert/", views.lead_convert, name="convert"),
    path("<int:pk>/resources/", views.lead_resource_add, name="resource_add"),
    path("<int:pk>/resources/<int:resource_pk>/file/", views.lead_resource_file, name="resource_file"),
]
