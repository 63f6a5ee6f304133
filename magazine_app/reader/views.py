"""What readers see: the kiosk, the archive, the plans."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from .. import catalog, subscriptions
from ..models import utcnow

bp = Blueprint("reader", __name__)


@bp.route("/")
def kiosk() -> str:
    return render_template("reader/kiosk.html", entries=catalog.kiosk(utcnow()))


@bp.route("/archives")
def archive() -> str:
    pubs = catalog.publications()
    slug = request.args.get("publication") or (pubs[0].slug if pubs else None)
    publication = catalog.publication_by_slug(slug) if slug else None
    if slug and publication is None:
        abort(404)
    issues = catalog.published_issues(publication, utcnow()) if publication else []
    return render_template(
        "reader/archive.html",
        publications=pubs,
        publication=publication,
        years=catalog.issues_by_year(issues),
    )


@bp.route("/abonnement")
def subscribe() -> str:
    return render_template("reader/subscribe.html", plans=subscriptions.public_plans())


# Routes defined in sibling modules register on `bp` when imported.
from . import gate, images, issue_views  # noqa: E402, F401
from . import subscription_views  # noqa: E402, F401  (« Mon abonnement »)
