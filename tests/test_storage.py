"""storage.resolve, the one way from a relative path to a file under STORAGE_ROOT (every
path builder and /img go through it): nothing it returns lies outside the root."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest

from magazine_app import storage

ESCAPES = [
    "..",
    "../instance/secret_key",
    "issues/1/../../../etc/passwd",
    "issues/1/v1-test/screen/../../../../../etc/passwd",
    "/etc/passwd",
    "//etc/passwd",
    "/issues/1/v1-test/manifest.json",
]


@pytest.mark.parametrize("relative", ESCAPES)
def test_resolve_refuses_every_way_out_of_the_root(app, relative: str) -> None:
    with pytest.raises(storage.StorageError):
        storage.resolve(relative)


@pytest.mark.parametrize(
    "encoded", ["%2e%2e/%2e%2e/etc/passwd", "issues%2f..%2f..%2f..%2fetc%2fpasswd", "%2E%2E"]
)
def test_resolve_refuses_encoded_dot_segments_once_decoded(app, encoded: str) -> None:
    """What Flask hands a view is decoded: the decoded form is refused; the raw form is a
    plain (odd) name under the root, never decoded into a parent."""
    with pytest.raises(storage.StorageError):
        storage.resolve(unquote(encoded))
    raw = storage.resolve(encoded)
    assert storage.root() in raw.parents
    assert raw.name == encoded.rsplit("/", 1)[-1]


def test_resolve_keeps_dot_segments_that_stay_inside(app) -> None:
    root = storage.root()
    assert storage.resolve("issues/1/../2/manifest.json") == Path(root, "issues/2/manifest.json")
    assert storage.resolve("issues/./1") == Path(root, "issues/1")


def test_the_path_builders_refuse_traversal(app) -> None:
    with pytest.raises(storage.StorageError):
        storage.original_path("../../../etc/passwd")
    with pytest.raises(storage.StorageError):
        storage.resolve(storage.rendition_relpath(1, "v1-test", "../../../../etc/passwd"))
