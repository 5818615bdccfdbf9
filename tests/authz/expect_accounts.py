from .matrix import Expect, signed_in

EXPECTATIONS = {
    "accounts:profile": Expect(signed_in()),
}
