class InvalidTransition(Exception):  # noqa: N818 - the domain's own word
    """A service was asked for a change the record's current state does not allow.

    Views turn it into a message where the user is; the API into 409.
    """

    def __init__(self, message, *, code="invalid"):
        super().__init__(message)
        self.message = str(message)
        self.code = code

    def __str__(self):
        return self.message


class NotPermitted(InvalidTransition):
    """The actor may see the record but not make this change (a read-only share, another partner's deal...).

    Views show the message where the user is; the API answers 403.
    """

    def __init__(self, message, *, code="not_permitted"):
        super().__init__(message, code=code)
