from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Partners are invited by their channel manager; nobody signs themselves up."""

    def is_open_for_signup(self, request):
        return False
