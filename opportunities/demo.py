"""Demo opportunities for `manage.py seed_demo`."""


def seed(demo):
    """Opportunities come from converted leads in the demo; nothing extra to add yet."""
