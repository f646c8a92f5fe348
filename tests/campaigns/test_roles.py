"""The two roles: staff run the campaigns but never manage logins or roles; only a
superuser does (campaigns/rules.py, campaigns/roles.py, ambassadors/migrations/0003)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from tests.factories import UserFactory

# Spelled out rather than imported: the test says what the role must be.
STAFF_APPS = {
    "campaigns",
    "ambassadors",
    "voting",
    "reports",
    "django_celery_beat",
    "django_celery_results",
}
NEVER_STAFF = {"auth", "contenttypes", "sessions", "admin", "axes"}


def _perms(queryset) -> set[tuple[str, str]]:
    return set(queryset.values_list("content_type__app_label", "codename"))


@pytest.mark.django_db
def test_the_staff_group_holds_exactly_the_project_apps_permissions():
    staff = _perms(Group.objects.get(name="staff").permissions)
    expected = _perms(Permission.objects.filter(content_type__app_label__in=STAFF_APPS)) - {
        ("campaigns", "add_auditlog"),
        ("campaigns", "change_auditlog"),
        ("campaigns", "delete_auditlog"),
    }
    assert staff == expected
    assert ("campaigns", "view_auditlog") in staff
    assert ("voting", "change_vote") in staff
    assert not {app for app, _ in staff} & NEVER_STAFF
    assert not any(app == "auth" for app, _ in staff)


@pytest.mark.django_db
def test_staff_cannot_reset_the_superusers_password_or_promote_themselves(ops_client, ops_user):
    root = UserFactory(username="root", is_superuser=True)
    old_hash = root.password
    for url in (
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[root.pk]),
        reverse("admin:auth_user_password_change", args=[root.pk]),
        reverse("admin:auth_group_changelist"),
    ):
        assert ops_client.get(url).status_code == 403, url
    response = ops_client.post(
        reverse("admin:auth_user_password_change", args=[root.pk]),
        {"password1": "Taken-over-2026!", "password2": "Taken-over-2026!"},
    )
    assert response.status_code == 403
    response = ops_client.post(
        reverse("admin:auth_user_change", args=[ops_user.pk]),
        {"username": "ops", "is_staff": "on", "is_active": "on", "is_superuser": "on"},
    )
    assert response.status_code == 403
    root.refresh_from_db()
    ops_user.refresh_from_db()
    assert root.password == old_hash
    assert not ops_user.is_superuser
    assert not ops_user.has_perm("auth.change_user")
    assert not ops_user.has_perm("auth.change_group")


@pytest.mark.django_db
def test_a_superuser_still_manages_users(admin_client):
    assert admin_client.get(reverse("admin:auth_user_changelist")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_migration_takes_auth_permissions_from_an_existing_staff_group():
    executor = MigrationExecutor(connection)
    executor.migrate([("ambassadors", "0002_roles")])
    try:
        # As 0002_roles left it on a database of the time: every permission.
        Group.objects.get(name="staff").permissions.set(Permission.objects.all())
        assert (
            Group.objects.get(name="staff")
            .permissions.filter(content_type__app_label="auth", codename="change_user")
            .exists()
        )
        executor = MigrationExecutor(connection)
        executor.migrate([("ambassadors", "0005_staff_without_auth_permissions")])
        staff = _perms(Group.objects.get(name="staff").permissions)
        assert not {app for app, _ in staff} & NEVER_STAFF
        assert ("campaigns", "change_campaign") in staff
        assert ("campaigns", "delete_auditlog") not in staff
        # And back: the reverse restores what 0002 had made.
        executor = MigrationExecutor(connection)
        executor.migrate([("ambassadors", "0002_roles")])
        assert (
            Group.objects.get(name="staff")
            .permissions.filter(content_type__app_label="auth", codename="change_user")
            .exists()
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
