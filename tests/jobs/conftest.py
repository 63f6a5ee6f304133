"""Fixtures of the job tests: `fast`, the app with ingestion at the small test sizes
(one copy for test_processing.py and test_jobs_lease.py)."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import TEST_SIZES


@pytest.fixture
def fast(app: Flask) -> Flask:
    app.config["INGEST_SIZES"] = TEST_SIZES
    app.config["INGEST_PAGE_TIMEOUT"] = 20
    return app
