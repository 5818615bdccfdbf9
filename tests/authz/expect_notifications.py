"""The notifications app's URLs × the cast (issue 13): the preferences page is each signed-in person's own; the
one-click unsubscribe is public (its signed token is the proof), so everyone, signed in or not, gets its page."""

from .matrix import Expect, signed_in


def token_of_a_rep(cast):
    from notifications.routing import unsubscribe_token

    return {"token": unsubscribe_token(user_id=cast.partner_a_user.pk, kind="lead_assigned")}


EXPECTATIONS = {
    "notifications:preferences": Expect(signed_in()),
    "notifications:unsubscribe": Expect({}, default=200, kwargs=token_of_a_rep),
}
