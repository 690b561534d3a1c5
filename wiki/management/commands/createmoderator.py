import getpass
import sys

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from wiki.roles import moderators_group


class Command(BaseCommand):
    help = (
        "Create a moderator (a user in the Moderators group), or add an existing user "
        "to the group. The password is asked for at a terminal, or read from the first "
        "line of standard input when that is not a terminal."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, email, **options):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        password = self._read_password(required=user is None)
        with transaction.atomic():
            if user is None:
                user = User(username=username, email=email)
            if password:
                try:
                    password_validation.validate_password(password, user)
                except ValidationError as error:
                    raise CommandError(" ".join(error.messages)) from error
                user.set_password(password)
            user.save()
            user.groups.add(moderators_group())
        self.stdout.write(f"{username} is a moderator.")

    def _read_password(self, *, required: bool) -> str:
        if not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass("Password: ")
            if password and password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        if required and not password:
            raise CommandError("A new moderator needs a password.")
        return password
