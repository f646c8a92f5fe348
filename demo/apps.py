from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo seeder and ``manage.py seed_demo``: no models; nothing imports this app."""

    name = "demo"
    verbose_name = "Demo data"
