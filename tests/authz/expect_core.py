from .matrix import Expect, signed_in

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
    "api-schema": Expect({"anonymous": 403}),
    "api-docs": Expect({"anonymous": 403}),
}
