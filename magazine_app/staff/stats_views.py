"""Per-issue reading statistics: figures, SVG charts and a CSV export."""

from __future__ import annotations

from flask import Response, render_template

from magazine_app.catalog import reports
from magazine_app.staff import bp
from magazine_app.staff.charts import bar_chart
from magazine_app.staff.helpers import get_issue


@bp.route("/numeros/<int:issue_id>/statistiques")
def issue_stats(issue_id: int) -> str:
    issue = get_issue(issue_id)
    figures = reports.issue_stats(issue)
    top = figures.most_read(10)
    pages_chart = bar_chart(
        [(str(p.page), p.readers) for p in figures.pages],
        title="Lecteurs par page",
        unit=" lecteur(s)",
        highlight={str(p.page) for p in top[:3]},
    )
    days_chart = (
        bar_chart(
            [(d.strftime("%d/%m"), count) for d, count in figures.days],
            title="Nouveaux lecteurs par jour",
            unit=" lecteur(s)",
        )
        if figures.days
        else None
    )
    return render_template(
        "staff/stats.html",
        issue=issue,
        figures=figures,
        top=top,
        pages_chart=pages_chart,
        days_chart=days_chart,
    )


@bp.route("/numeros/<int:issue_id>/statistiques.csv")
def issue_stats_csv(issue_id: int) -> Response:
    issue = get_issue(issue_id)
    body = reports.stats_csv(issue, reports.issue_stats(issue))
    filename = f"statistiques-{issue.publication.slug}-{issue.number}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
