"""The reader blueprint: what readers see, in the order they meet it.

kiosk_views.py         the kiosk, the archive, the plans (« Abonnement »)
issue_views.py         an issue's page: cover, summary, the gate's answer
viewer_views.py        the viewer and the page data it loads
images.py              /img: page images behind signed URLs
search_views.py        archive and in-issue search
subscription_views.py  « Mon abonnement »
events_views.py        reading statistics and positions
gate.py                the gate's answer for this request, cover and issue links
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reader", __name__)

# Routes and hooks register on `bp` when imported.
# isort: off
from magazine_app.reader import gate, images  # noqa: E402, F401
from magazine_app.reader import kiosk_views, issue_views, viewer_views  # noqa: E402, F401
from magazine_app.reader import search_views, subscription_views, events_views  # noqa: E402, F401
# isort: on
