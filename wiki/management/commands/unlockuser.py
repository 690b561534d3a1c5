from axes.utils import reset
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Lift the login lock of one or more usernames: forget their failed logins from "
        "every address (in Redis or in the database, wherever django-axes keeps them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="+")

    def handle(self, *args, username, **options):
        for name in username:
            count = reset(username=name)
            if count:
                self.stdout.write(f"{name}: unlocked ({count} failed-login records removed).")
            else:
                self.stdout.write(f"{name}: no failed logins recorded; nothing to unlock.")
