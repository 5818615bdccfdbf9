from .matrix import Expect, signed_in

EXPECTATIONS = {
    "reports:home": Expect(signed_in()),
    "healthz": Expect({}, default=200),
    "api-schema": Expect({"anonymous": 403}),
    "api-docs": Expect({"anonymous": 403}),
}
