from .matrix import Expect, signed_in

EXPECTATIONS = {
    "core:home": Expect(signed_in()),
    "accounts:profile": Expect(signed_in()),
    "leads:list": Expect(signed_in()),
    "opportunities:list": Expect(signed_in()),
    "referrals:list": Expect(signed_in()),
    "healthz": Expect({}, default=200),
    "api-schema": Expect({"anonymous": 403}),
    "api-docs": Expect({"anonymous": 403}),
}
