"""Role checks for staff views (the whole console asks for staff in staff/__init__; some
pages ask for an admin). Anonymous users go to the login page; logged-in users without the
role get 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user, login_required

from magazine_app.models import User

P = ParamSpec("P")
R = TypeVar("R")


def _role_required(check: Callable[[User], bool]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        @login_required
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# login_required runs first: current_user is a User by then, never the anonymous user.
admin_required = _role_required(lambda user: user.is_admin)
