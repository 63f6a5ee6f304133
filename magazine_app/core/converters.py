"""URL converters of the app: integers in paths stay within what the database stores.

Werkzeug's `int` accepts any number of digits (and non-ASCII digits such as "١٢"): a path
like /lire/challenge/999999999999999999999 then reached the database, which SQLite refuses
with OverflowError and PostgreSQL compares as numeric or rejects, a 500 either way. Here
an integer beyond the signed 32-bit range of the INTEGER columns simply matches no route:
404, as for any unknown issue."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

INT_MAX = 2_147_483_647  # PostgreSQL's INTEGER (int4); SQLite stores more, we never need it


class DatabaseIntConverter(IntegerConverter):
    regex = r"[0-9]{1,10}"  # ASCII digits; more than ten cannot fit anyway
    signed_regex = r"-?[0-9]{1,10}"

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = INT_MAX,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)
        if self.min is None or self.min < -INT_MAX - 1:
            self.min = -INT_MAX - 1
        if self.max is None or self.max > INT_MAX:
            self.max = INT_MAX


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: rules bind their converter when added."""
    app.url_map.converters["int"] = DatabaseIntConverter
