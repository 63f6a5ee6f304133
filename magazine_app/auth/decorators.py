"""Role checks for views. Anonymous users go to the login page; logged-in users
without the role get 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user, login_required

P = ParamSpec("P")
R = TypeVar("R")


def _role_required(check: Callable[[object], bool]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        @login_required
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


staff_required = _role_required(lambda user: bool(getattr(user, "is_staff", False)))
admin_required = _role_required(lambda user: bool(getattr(user, "is_admin", False)))
