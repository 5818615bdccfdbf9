"""Deal registrations (H3) and channel conflicts (H4), mounted at /registrations/."""

from django.urls import path

from . import views

app_name = "registrations"
urlpatterns = [
    path("", views.registration_list, name="list"),
    path("new/", views.registration_new, name="new"),
    path("conflicts/", views.conflict_list, name="conflicts"),
    path("conflicts/<int:pk>/", views.conflict_detail, name="conflict_detail"),
    path("conflicts/<int:pk>/resolve/", views.conflict_resolve, name="conflict_resolve"),
    path("<int:pk>/", views.registration_detail, name="detail"),
    path("<int:pk>/review/", views.registration_review, name="review"),
    path("<int:pk>/extend/", views.registration_extend, name="extend"),
    path("<int:pk>/resubmit/", views.registration_resubmit, name="resubmit"),
    path("<int:pk>/renewal/", views.registration_renewal, name="renewal"),
]
