"""Subscribers: search, one subscriber's subscriptions, purchases and last reading, and
granting, extending or revoking by hand (the operations record who did it)."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from magazine_app.accounts import operations as accounts
from magazine_app.catalog import reports
from magazine_app.core.extensions import db
from magazine_app.models import Subscription, User, local_date
from magazine_app.staff import bp
from magazine_app.staff.forms import ActionForm, ExtendForm, GrantForm
from magazine_app.staff.helpers import staff_user
from magazine_app.subscriptions import entitlements
from magazine_app.subscriptions import operations as subscriptions


@bp.route("/abonnes")
def subscribers() -> str:
    term = (request.args.get("q") or "").strip()
    return render_template(
        "staff/subscribers.html", term=term, users=accounts.search_users(term) if term else None
    )


def _subscription_of(user: User, subscription_id: int) -> Subscription:
    sub = db.session.get(Subscription, subscription_id)
    if sub is None or sub.user_id != user.id:
        abort(404)
    return sub


def _grant_form() -> GrantForm:
    form = GrantForm()
    form.plan.choices = [(p.code, p.name) for p in subscriptions.all_plans()]
    return form


@bp.route("/abonnes/<int:user_id>")
def subscriber(user_id: int) -> str:
    user = db.get_or_404(User, user_id)
    today = local_date()
    grant_form = _grant_form()
    if not grant_form.is_submitted():
        grant_form.starts_on.data = today
        grant_form.ends_on.data = today + timedelta(days=365)
    return render_template(
        "staff/subscriber.html",
        user=user,
        subs=entitlements.subscriptions_of(user),
        purchases=entitlements.active_purchases(user),
        last=reports.last_reading(user),
        today=today,
        status_label=entitlements.status_label,
        grant_form=grant_form,
        extend_form=ExtendForm(formdata=None),
        action_form=ActionForm(),
    )


def _back(user: User) -> Response:
    return redirect(url_for("staff.subscriber", user_id=user.id))


@bp.route("/abonnes/<int:user_id>/accorder", methods=["POST"])
def grant(user_id: int) -> Response:
    user = db.get_or_404(User, user_id)
    form = _grant_form()
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            for error in errors:
                flash(f"{getattr(form, field).label.text} : {error}", "error")
        return _back(user)
    plan = subscriptions.plan_by_code(form.plan.data)
    try:
        sub = subscriptions.grant(
            user,
            plan,
            form.starts_on.data,
            form.ends_on.data,
            actor=staff_user(),
            note=form.note.data or "",
        )
    except subscriptions.SubscriptionError as exc:
        flash(str(exc), "error")
        return _back(user)
    db.session.commit()
    period = subscriptions.period_text(sub.starts_on, sub.ends_on)
    flash(f"Abonnement « {plan.name} » accordé {period}.", "success")
    return _back(user)


@bp.route("/abonnes/<int:user_id>/abonnements/<int:subscription_id>/prolonger", methods=["POST"])
def extend(user_id: int, subscription_id: int) -> Response:
    user = db.get_or_404(User, user_id)
    sub = _subscription_of(user, subscription_id)
    form = ExtendForm()
    if not form.validate_on_submit():
        flash("Indiquez la nouvelle date de fin.", "error")
        return _back(user)
    try:
        changed = subscriptions.extend(sub, form.until.data, actor=staff_user())
    except subscriptions.SubscriptionError as exc:
        flash(str(exc), "error")
        return _back(user)
    if not changed:
        flash("Aucune modification : c'est déjà la date de fin.", "info")
        return _back(user)
    db.session.commit()
    flash(f"Abonnement prolongé jusqu'au {sub.ends_on:%d/%m/%Y}.", "success")
    return _back(user)


@bp.route("/abonnes/<int:user_id>/abonnements/<int:subscription_id>/revoquer", methods=["POST"])
def revoke(user_id: int, subscription_id: int) -> Response:
    user = db.get_or_404(User, user_id)
    sub = _subscription_of(user, subscription_id)
    if ActionForm().validate_on_submit():
        subscriptions.revoke(sub, actor=staff_user())
        db.session.commit()
        flash("Abonnement révoqué : il n'ouvre plus aucun numéro.", "success")
    return _back(user)
