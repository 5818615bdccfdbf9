"""Create a vendor admin from the command line: the first one of a blank install, or another one later.

    manage.py create_vendor_admin --email boss@vendor.example          # asks for the password twice
    PRM_ADMIN_EMAIL=... PRM_ADMIN_PASSWORD=... manage.py create_vendor_admin --no-input [--if-missing]
"""

import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.firstrun import vendor_admin_create
from accounts.models import User
from prm_portal.core.errors import InvalidTransition


class Command(BaseCommand):
    help = ("Create a vendor admin (signs in to the portal and the Django admin). The email and password come from "
            "--email and a prompt, or from PRM_ADMIN_EMAIL and PRM_ADMIN_PASSWORD.")

    def add_arguments(self, parser):
        parser.add_argument("--email", default=os.environ.get("PRM_ADMIN_EMAIL", ""),
                            help="the admin's sign-in email (default: $PRM_ADMIN_EMAIL)")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--no-input", action="store_false", dest="interactive",
                            help="ask nothing: the password comes from $PRM_ADMIN_PASSWORD")
        parser.add_argument("--if-missing", action="store_true",
                            help="succeed without change when a user with this email already exists")

    def handle(self, *args, email, first_name, last_name, interactive, if_missing, **options):
        email = email.strip().lower()
        if not email:
            if not interactive:
                raise CommandError("Give --email or set PRM_ADMIN_EMAIL.")
            email = input("Email: ").strip().lower()
        if if_missing and User.objects.filter(email__iexact=email).exists():
            return f"A user with the email {email} already exists; nothing changed."
        password = os.environ.get("PRM_ADMIN_PASSWORD", "")
        if not password:
            if not interactive:
                raise CommandError("Set PRM_ADMIN_PASSWORD, or leave out --no-input to type the password.")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ; nothing changed.")
        try:
            user = vendor_admin_create(actor=None, email=email, password=password,
                                       first_name=first_name, last_name=last_name)
        except ValidationError as exc:
            raise CommandError("The password is not accepted: " + " ".join(exc.messages)) from None
        except InvalidTransition as exc:
            raise CommandError(str(exc)) from None
        return f"Vendor admin {user.email} created: sign in at /auth/login/."
