"""The two demo issues' metadata (DEMO_ISSUES) and their builders.

Importing this module loads neither MuPDF nor Pillow: the web process reads DEMO_ISSUES,
only the builders pull in the layout code.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path


def build_challenge_228(path: Path) -> Path:
    """Challenge N°228, ~40 pages, no outline: the TOC must come from the Sommaire page."""
    from magazine_app.demo.pdf.build import build_issue  # MuPDF is loaded only when a PDF is built

    return build_issue(Path(path), DEMO_ISSUES[0])


def build_challenge_auto_2(path: Path) -> Path:
    """Challenge Auto N°2, 140 photo-heavy pages, with a two-level outline."""
    from magazine_app.demo.pdf.build import build_issue  # MuPDF is loaded only when a PDF is built

    return build_issue(Path(path), DEMO_ISSUES[1])


def _lines(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"kicker": k, "title": t} for k, t in pairs]


DEMO_ISSUES: list[dict] = [
    {
        "publication": "challenge",
        "publication_title": "Challenge",
        "number": 228,
        "title": "La campagne agricole est-elle compromise ?",
        "period_label": "Du 11 au 17 février 2022",
        "release_date": dt.date(2022, 2, 11),
        "filename": "challenge-228.pdf",
        "page_count": 40,
        "plan": "challenge_228",
        "page_size": (595.0, 779.0),
        "accent": (0.78, 0.06, 0.14),
        "cover_photo": "kodim22",
        "footer": "Challenge N°228 — Du 11 au 17 février 2022",
        "cover_lines": _lines(
            ("AGRICULTURE", "La campagne agricole est-elle compromise ?"),
            ("DAKHLA-EL GUERGUERAT", "Grand Prix Omar Bekkari : une 2ème édition de toute beauté"),
            ("PARTENARIAT PUBLIC-PRIVÉ", "CBEM-Office des Changes : un partenariat exemplaire"),
            ("ACTUALITÉ", "Le Maroc dans les Chaînes de Valeur Mondiales"),
            ("", "Ce que les Lions de l'Atlas ont à apprendre des Lions de la Téranga"),
        ),
        "builder": build_challenge_228,
    },
    {
        "publication": "challenge-auto",
        "publication_title": "Challenge Auto",
        "number": 2,
        "title": "Véhicules d'occasion : le marché entame sa restructuration",
        "period_label": "Novembre 2021 - Janvier 2022",
        "release_date": dt.date(2021, 11, 1),
        "filename": "challenge-auto-2.pdf",
        "page_count": 140,
        "plan": "challenge_auto_2",
        "page_size": (624.0, 808.0),
        "accent": (0.86, 0.27, 0.05),
        "cover_photo": "kodim05",
        "footer": "Challenge Auto N°2 — Novembre 2021 - Janvier 2022",
        "cover_lines": _lines(
            ("PRATIQUE", "Comment être sûr de votre achat"),
            ("VÉHICULES D'OCCASION", "Le marché entame sa restructuration"),
            ("RENAULT 4", "Un best-seller qui fête ses 60 ans"),
            (
                "",
                "Tachemi Bekkari de Palm Automotive Maroc : « Nous sommes très satisfaits"
                " de ce long parcours et de nos résultats »",
            ),
            ("NOUVEAUTÉS", "Ces modèles qui font l'actualité"),
            ("ENVIRONNEMENT", "Le Maroc passe au carburant Euro 6 dès 2022"),
            ("DISTRIBUTION", "Africa Motors va commercialiser la marque chinoise Chery"),
            ("", "Le marché des voitures neuves impacté par le manque de stocks"),
        ),
        "builder": build_challenge_auto_2,
    },
]
