"""What the gate's attack tests share (tests/test_gate_attacks.py, tests/test_nginx.py):
the bytes that must never leave the server, and the list of path spellings to try."""

from __future__ import annotations

from magazine_app import storage

SIZES = ("thumb", "screen", "zoom")


def secret_bytes(issue) -> dict[str, bytes]:
    """What must never leave the server: the manifest, the original, locked renditions."""
    version = storage.issue_root(issue.id) / issue.rendition_dir
    out = {
        "manifest": (version / "manifest.json").read_bytes(),
        "original": storage.original_path(issue.source_sha256).read_bytes(),
    }
    for page in issue.pages[3:]:
        for size in SIZES:
            rel = storage.rendition_relpath(
                issue.id, issue.rendition_dir, page.renditions[size]["file"]
            )
            out[f"{page.number}-{size}"] = storage.resolve(rel).read_bytes()
    return out


def assert_nothing_leaked(body: bytes, secrets: dict[str, bytes]) -> None:
    assert len(body) < 8000, "an error answer is a short page, not a file"
    for name, data in secrets.items():
        assert data[:64] not in body, f"{name} leaked"


def path_variants(issue, path: str) -> list[str]:
    head, _, name = path.rpartition("/")
    version_root = head.rsplit("/", 1)[0]  # /img/issues/<id>/<version>
    return [
        f"{path}/../../manifest.json",
        f"{version_root}/manifest.json",
        f"{head}/./{name}",
        f"{head}//{name}",
        f"{head}/%2e%2e/screen/{name}",
        f"{head}/%2E%2E/%2E%2E/manifest.json",
        f"{head}%2f..%2f..%2fmanifest.json",
        f"{head}%2F{name}",
        f"{head}/{name}%00",
        f"{path}/",
        f"{head}/{name[:-4]}%2ewebp",
        f"/img/originals/{issue.source_sha256}.pdf",
        f"/img/issues/{issue.id}/{issue.rendition_dir}/../../../originals/{issue.source_sha256}.pdf",
        "/img/../instance/secret_key",
        f"/img/staging/{issue.id}-x/manifest.json",
    ]
