"""The one permission check of the moderator views."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

# What makes a user a moderator (the Moderators group has it, admins have all).
MODERATOR_PERMISSION = "wiki.change_page"


def permission_required(*perms):
    """Anonymous users are sent to log in (back to this URL afterwards);
    logged-in users without every one of ``perms`` get the 403 page."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perms(perms):
                raise PermissionDenied("You do not have permission to do this.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# The views every moderator may use: page info, the maintenance lists.
moderator_required = permission_required(MODERATOR_PERMISSION)
