"""Demo referrals for `manage.py seed_demo`."""


def seed(demo):
    """The referrals app adds its demo records here."""
