from django.urls import path

from . import views

app_name = "referrals"
urlpatterns = [
    path("", views.referral_list, name="list"),
    path("new/", views.referral_new, name="new"),
    path("customers/", views.customer_suggestions, name="customers"),
    path("send/", views.referral_send, name="send"),
    path("registrations/", views.registration_list, name="registrations"),
    path("<int:pk>/", views.referral_detail, name="detail"),
    path("<int:pk>/accept/", views.referral_accept, name="accept"),
    path("<int:pk>/decline/", views.referral_decline, name="decline"),
    path("<int:pk>/edit/", views.referral_edit, name="edit"),
    path("<int:pk>/team/", views.referral_team_add, name="team_add"),
    path("<int:pk>/stage/", views.referral_stage, name="stage"),
    path("<int:pk>/won/", views.referral_won, name="won"),
    path("<int:pk>/lost/", views.referral_lost, name="lost"),
    path("<int:pk>/favorite/", views.referral_favorite, name="favorite"),
    path("<int:pk>/register/", views.referral_register, name="register"),
    path("<int:pk>/review/", views.referral_review, name="review"),
    path("<int:pk>/offer-next/", views.referral_offer_next, name="offer_next"),
]
