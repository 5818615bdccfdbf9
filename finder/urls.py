from django.urls import path

from . import views

app_name = "finder"

urlpatterns = [
    path("", views.finder_search_view, name="search"),
    path("inquiry/", views.finder_inquiry_view, name="inquiry"),
    path("thanks/", views.finder_thanks_view, name="thanks"),
    path("<slug:slug>/", views.finder_partner_view, name="partner"),  # accounts.services keeps these two words free
]
