from .selectors import activity_list_for  # noqa: F401  (re-exported for app views)
