"""/partners/profile/api-tokens/: the signed-in person's API tokens (list + create, revoke)."""

from django.urls import path

from . import apitoken_views

app_name = "api_tokens"
urlpatterns = [
    path("", apitoken_views.api_tokens, name="list"),
    path("<int:pk>/revoke/", apitoken_views.api_token_revoke_view, name="revoke"),
]
