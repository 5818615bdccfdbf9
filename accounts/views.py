from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def profile(request):
    """The signed-in person's profile: who they are, their partner, and the account links."""
    return render(request, "accounts/profile.html", {"profile_user": request.user})
