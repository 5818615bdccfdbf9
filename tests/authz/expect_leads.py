from .matrix import Expect, signed_in

EXPECTATIONS = {
    "leads:list": Expect(signed_in()),
}
