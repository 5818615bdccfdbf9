from prm_portal.core.apitokens import api_token_create

from .matrix import Expect, only, signed_in


def token_of_a_user(cast):
    return {"pk": api_token_create(actor=cast.partner_a_user, name="Alpha CRM")[0].pk}


EXPECTATIONS = {
    # The brand colours as a stylesheet (no inline styles under the CSP): public, like the static files.
    "brand_css": Expect({}, default=200, query="primary=%23aa3300"),
    "reports:home": Expect(signed_in()),
    "healthz": Expect({}, default=200),
    # Public (probes are anonymous). The cast's world has no beat, so readiness names "beat" and answers 503 to
    # everyone alike; the checks themselves are tested in tests/ops/test_health.py.
    "readyz": Expect({}, default=503),
    # A blank install's first screen: the cast always has users, so it is gone for everyone.
    "first_run": Expect({}, default=404),
    # The API answers a request with no credentials 401 (WWW-Authenticate: Bearer), its docs too.
    "api-schema": Expect({"anonymous": 401}),
    "api-docs": Expect({"anonymous": 401}),
    # Profile → API tokens: everyone's own page; a token is revoked by its owner only (anyone else: 404).
    "api_tokens:list": Expect(signed_in()),
    "api_tokens:revoke": Expect(only(("partner_a_user",), ok=302), kwargs=token_of_a_user, method="post"),
}
