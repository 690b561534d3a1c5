#!/usr/bin/env python
import os
import secrets
import sys
from pathlib import Path

# The per-machine key `make serve` also uses (see the Makefile).
SECRET_FILE = Path(__file__).resolve().parent / "var" / "secret_key"


def machine_secret_key() -> str:
    """The key in var/secret_key, made (random, readable by its owner only)
    on first use, so that commands run from the checkout (createmoderator,
    loaddemo, ...) work without DJANGO_SECRET_KEY, with the same key as
    `make serve`. Only manage.py does this: the app served by gunicorn or any
    WSGI server still refuses to start without DJANGO_SECRET_KEY."""
    SECRET_FILE.parent.mkdir(exist_ok=True)
    try:
        descriptor = os.open(SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made before (or by `make serve`)
    else:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(50) + "\n")
    return SECRET_FILE.read_text().strip()


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kcr.settings")
    if not os.environ.get("DJANGO_SECRET_KEY"):
        os.environ["DJANGO_SECRET_KEY"] = machine_secret_key()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
