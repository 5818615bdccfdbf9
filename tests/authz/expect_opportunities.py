from .matrix import Expect, signed_in

EXPECTATIONS = {
    "opportunities:list": Expect(signed_in()),
}
