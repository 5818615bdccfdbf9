from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Above the record apps: Home and its dashboards read leads, opportunities and referrals."""

    name = "reports"
    verbose_name = "Reports"
