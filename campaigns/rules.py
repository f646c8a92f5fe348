"""Roles and object permissions (django-rules).

Two roles, created as groups by a data migration:

- **staff** (operations): every permission of the apps in ``STAFF_APPS``, on every school;
  never a permission of ``auth`` (users, groups, permissions): only superusers manage
  logins and roles, so a staff member cannot reset a superuser's password or promote
  themselves.
- **ambassador** (intern): the model permissions of ``AMBASSADOR_PERMISSIONS``, and only on
  objects of their own school.

Model-level permissions ("may this user open the ambassadors list at all?") come from the
groups through Django's ModelBackend. Object-level permissions ("may they open *this*
ambassador?") come from the rules below; ModelBackend always answers no for an object, so
these rules are the only way to an object. Querysets are scoped as well (``campaigns.scoping``):
a rule guards a URL, the scope guards every list.
"""

import rules
from django.contrib.auth.backends import ModelBackend

OPS_GROUP = "staff"
AMBASSADOR_GROUP = "ambassador"

# The apps whose every permission the staff role holds (an allow-list: a third-party app
# added later, e.g. django-axes' lockout records, grants nothing until it is named here).
STAFF_APPS: tuple[str, ...] = (
    "campaigns",
    "ambassadors",
    "voting",
    "reports",
    "django_celery_beat",
    "django_celery_results",
)
# Permissions of those apps staff never hold: the audit log is written by services only.
STAFF_WITHHELD: tuple[str, ...] = (
    "campaigns.add_auditlog",
    "campaigns.change_auditlog",
    "campaigns.delete_auditlog",
)

# What an intern may do, by model; always within their own school. Voters, votes, visits,
# activity and the audit log are not theirs to see (phone numbers, fraud evidence).
AMBASSADOR_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "campaigns.school": ("view",),
    "campaigns.pilot": ("view",),
    "campaigns.campaign": ("view",),
    "campaigns.round": ("view",),
    "campaigns.prize": ("view",),
    "campaigns.expense": ("view", "add", "change"),
    "ambassadors.ambassador": ("view", "add", "change"),
    "ambassadors.worklog": ("view", "add", "change", "delete"),
    "voting.entry": ("view", "add", "change"),
    "voting.leaderboardsnapshot": ("view",),
    "reports.report": ("view",),
}

# Models whose admin checks object permissions, with every action staff may take.
SCOPED_MODELS = [
    *AMBASSADOR_PERMISSIONS,
    "campaigns.auditlog",
    "voting.voter",
    "voting.vote",
    "voting.visit",
    "voting.activity",
]
ACTIONS = ("view", "add", "change", "delete")


def _group_names(user) -> set[str]:
    if not hasattr(user, "_role_groups"):
        user._role_groups = set(user.groups.values_list("name", flat=True)) if user.pk else set()
    return user._role_groups


def user_school_id(user) -> int | None:
    """The school an ambassador's login belongs to, or None."""
    if not getattr(user, "pk", None):
        return None
    if not hasattr(user, "_ambassador_school_id"):
        from django.apps import apps

        ambassador = (
            apps.get_model("ambassadors", "Ambassador")
            .objects.filter(user=user, active=True)
            .values_list("school_id", flat=True)
            .first()
        )
        user._ambassador_school_id = ambassador
    return user._ambassador_school_id


@rules.predicate
def is_ops(user) -> bool:
    return bool(user.is_active and (user.is_superuser or OPS_GROUP in _group_names(user)))


@rules.predicate
def is_ambassador(user) -> bool:
    return bool(
        user.is_active
        and AMBASSADOR_GROUP in _group_names(user)
        and user_school_id(user) is not None
    )


@rules.predicate
def in_own_school(user, obj) -> bool:
    return obj is not None and getattr(obj, "school_id", None) == user_school_id(user)


def _group_grants(perm: str):
    @rules.predicate(name=f"group_grants:{perm}")
    def granted(user) -> bool:
        # Ask ModelBackend directly: user.has_perm() would come back to these rules.
        return perm in ModelBackend().get_all_permissions(user)

    return granted


@rules.predicate
def is_unapproved(user, obj) -> bool:
    """A work log whose hours are not approved yet (None: the model-level question)."""
    return obj is None or not getattr(obj, "approved", False)


# Approved hours count as labour cost: an intern may neither change nor delete them.
_AMBASSADOR_EXTRA = {
    "ambassadors.change_worklog": is_unapproved,
    "ambassadors.delete_worklog": is_unapproved,
}

for _model in SCOPED_MODELS:
    _app, _name = _model.split(".")
    for _action in ACTIONS:
        _perm = f"{_app}.{_action}_{_name}"
        _intern = is_ambassador & _group_grants(_perm) & in_own_school
        if _perm in _AMBASSADOR_EXTRA:
            _intern = _intern & _AMBASSADOR_EXTRA[_perm]
        rules.add_perm(_perm, is_ops | _intern)
