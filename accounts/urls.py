from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/availability/", views.availability, name="availability"),
    path("profile/preferences/", views.preferences, name="preferences"),
    path("password/", views.password_required, name="password_required"),
    path("welcome/<uidb64>/<token>/", views.welcome, name="welcome"),
    # A2: Setup → Partners → Settings (the external user access wizard, A3-A4, is the sharing app's)
    path("setup/settings/", views.prm_settings, name="prm_settings"),
    # B1-B3: partner accounts, contacts, partner users
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<int:pk>/enable/", views.account_enable, name="account_enable"),
    path("accounts/<int:pk>/disable/", views.account_disable, name="account_disable"),
    path("accounts/<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/enable-user/", views.user_enable, name="user_enable"),
    path("accounts/<int:pk>/users/invite/", views.user_invite, name="user_invite"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
    path("users/<int:pk>/welcome/", views.user_welcome_resend, name="user_welcome_resend"),
    path("accounts/<int:pk>/share/", views.account_share, name="account_share"),
    # B8: business profile and locations (B5: the partner's branding lives on the profile)
    path("business-profile/", views.my_business_profile, name="my_business_profile"),
    path("accounts/<int:pk>/business-profile/", views.business_profile, name="business_profile"),
    path("accounts/<int:pk>/locations/new/", views.location_create, name="location_create"),
    path("locations/<int:pk>/edit/", views.location_edit, name="location_edit"),
]
