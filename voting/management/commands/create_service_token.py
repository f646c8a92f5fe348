"""``manage.py create_service_token NAME``: print a new bearer token for the app backend
(docs/contract.md "Command line"). Only its hash is stored, so this is the one chance to copy it."""

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from voting.services.sign_in import service_token_create


class Command(BaseCommand):
    help = "Create a service token for a trusted backend and print it (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who uses the token, e.g. app-backend.")

    def handle(self, *args, name: str, **options):
        name = name.strip()
        if not name or len(name) > 60 or "\x00" in name:
            raise CommandError("NAME must be 1 to 60 characters.")
        try:
            token = service_token_create(name=name)
        except IntegrityError as exc:
            raise CommandError(f"A service token named {name!r} already exists.") from exc
        self.stdout.write(token)
