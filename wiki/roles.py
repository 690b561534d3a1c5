"""Who may do what: the Moderators group and its permissions."""

from django.contrib.auth.models import Group, Permission

MODERATORS = "Moderators"
MODERATOR_PERMISSIONS = ["add_page", "change_page", "view_page", "move_page", "revert_page"]


def moderators_group() -> Group:
    """Return the Moderators group, creating it (with its page permissions)
    when missing. The data migration makes it; this keeps a database that lost
    it (a flushed test database, a hand-made one) working the same way."""
    group, created = Group.objects.get_or_create(name=MODERATORS)
    if created:
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="wiki", codename__in=MODERATOR_PERMISSIONS
            )
        )
    return group
