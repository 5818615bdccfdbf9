from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from .selectors import lead_list_visible_to


@login_required
def lead_list(request):
    """The Leads tab: leads assigned to the user and open leads in their queues (C2)."""
    page = Paginator(lead_list_visible_to(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "leads/lead_list.html", {"page": page})
