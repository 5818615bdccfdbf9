from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def referral_list(request):
    """The Referrals tab."""
    return render(request, "referrals/referral_list.html", {"referrals": []})
