"""``python manage.py seed_demo``: idempotent demo data (docs/contract.md "Command line")."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from demo.seed import (
    ADMIN_USERNAME,
    DEFAULT_PASSWORD,
    INTERN_USERNAME,
    PASSWORD_ENV,
    STAFF_USERNAME,
    demo_password,
    demo_seed,
)


class Command(BaseCommand):
    help = (
        "Create demo data (schools, pilots, campaigns open now, entries with photos, voters, "
        "votes, visits, app activity, ambassadors, expenses) and three demo logins. Safe to "
        f"run again: it adds nothing the second time. Password from ${PASSWORD_ENV}."
    )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        counts = demo_seed(stdout=self.stdout)
        elapsed = time.monotonic() - started

        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {elapsed:.1f} s."))
        width = max(len(name) for name in counts)
        for name, count in counts.items():
            self.stdout.write(f"  {name:<{width}}  {count}")

        # Printed only when it is the well-known default: a password chosen through the
        # environment stays out of terminals and logs.
        password = demo_password()
        shown = password if password == DEFAULT_PASSWORD else f"${PASSWORD_ENV}"
        self.stdout.write("")
        self.stdout.write("Logins (local demo only):")
        for username, role in (
            (ADMIN_USERNAME, "superuser"),
            (STAFF_USERNAME, "operations staff"),
            (INTERN_USERNAME, "ambassador, 复旦大学 lead intern"),
        ):
            self.stdout.write(f"  {username:<12} / {shown:<16} {role}")
        site = settings.SITE_URL.rstrip("/")
        self.stdout.write(f"Admin: {site}/admin/ (SITE_URL; `make run` serves it on PORT)")
