from tests.factories import OpportunityFactory

from .matrix import Expect, only, signed_in

# Partner A's rep owns the deal: A's rep and admin, A's channel manager and the vendor admin see it.
SEES_A = ("partner_a_user", "partner_a_admin", "channel_manager", "vendor_admin")


def _opp_a(cast):
    return {"pk": OpportunityFactory(partner_account=cast.partner_a, owner=cast.partner_a_user).pk}


def _opp_a_file(cast):
    from django.core.files.base import ContentFile

    from opportunities.models import Opportunity
    from prm_portal.core.services import resource_add

    kwargs = _opp_a(cast)
    opp = Opportunity.objects.get(pk=kwargs["pk"])
    resource = resource_add(actor=cast.channel_manager, target=opp, kind="file", title="Card",
                            file=ContentFile(b"hello", name="card.txt"))
    return {**kwargs, "resource_pk": resource.pk}


def _stage(cast):
    from opportunities.models import Stage

    return {"stage": Stage.objects.get(name="Proposal").pk}


EXPECTATIONS = {
    "opportunities:list": Expect(signed_in()),
    "opportunities:export": Expect(signed_in()),
    "opportunities:create": Expect(
        only(("partner_a_user", "partner_a_admin", "partner_b_user"), denied=403)
    ),
    "opportunities:detail": Expect(only(SEES_A), kwargs=_opp_a),
    "opportunities:live": Expect(only(SEES_A), kwargs=_opp_a),
    "opportunities:edit": Expect(only(SEES_A), kwargs=_opp_a),
    "opportunities:stage": Expect(only(SEES_A, ok=302), kwargs=_opp_a, method="post", data=_stage),
    "opportunities:resource_add": Expect(
        only(SEES_A, ok=302), kwargs=_opp_a, method="post",
        data=lambda cast: {"kind": "note", "title": "Tip", "body": "Call them on Monday."},
    ),
    "opportunities:resource_file": Expect(only(SEES_A), kwargs=_opp_a_file),
    "reports:dashboard_export": Expect(signed_in(), kwargs=lambda cast: {"chart": "win-rate"}),
}

