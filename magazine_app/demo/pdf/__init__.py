"""Generate two realistic demo magazine issues (Challenge N°228, Challenge Auto N°2) as PDFs.

The demo and the tests need magazines that behave like the publisher's real files (a Sommaire
page with internal links, running footers, photos, ads, an outline or none) without shipping
the copyrighted originals. Pages are written as raw PDF content streams with the Base-14 fonts
(WinAnsi encoding, so French accents extract correctly): that is an order of magnitude faster
than PyMuPDF's per-call text helpers and gives real justified columns (``Tw`` word spacing).
Everything random is seeded, and the file ID and dates are fixed, so the output is
byte-for-byte reproducible. Prose and page plans live in ``demo_assets/content_fr.json``.
"""

from magazine_app.demo.pdf.issues import DEMO_ISSUES, build_challenge_228, build_challenge_auto_2

__all__ = ["DEMO_ISSUES", "build_challenge_228", "build_challenge_auto_2"]
