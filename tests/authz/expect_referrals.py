from .matrix import Expect, signed_in

EXPECTATIONS = {
    "referrals:list": Expect(signed_in()),
}
