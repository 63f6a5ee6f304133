"""gunicorn's control socket (gunicorn >= 25.1) belongs to one instance: two instances on
one machine must not share (and take over) one path."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from gunicorn.config import Config

ROOT = Path(__file__).resolve().parents[2]


def _settings(monkeypatch: pytest.MonkeyPatch, instance: Path | None) -> Config:
    """gunicorn.conf.py read as gunicorn reads it (every name must be a gunicorn setting)."""
    if instance is None:
        monkeypatch.delenv("MAGAZINE_INSTANCE_PATH", raising=False)
    else:
        monkeypatch.setenv("MAGAZINE_INSTANCE_PATH", str(instance))
    values = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    cfg = Config()
    for name in ("control_socket", "control_socket_disable"):
        cfg.set(name, values[name])  # fails for a name gunicorn does not know
    return cfg


def test_each_instance_has_its_own_control_socket(monkeypatch, tmp_path) -> None:
    a = _settings(monkeypatch, tmp_path / "a")
    b = _settings(monkeypatch, tmp_path / "b")
    assert a.control_socket == str((tmp_path / "a" / "gunicorn.ctl").resolve())
    assert b.control_socket == str((tmp_path / "b" / "gunicorn.ctl").resolve())
    assert not a.control_socket_disable and not b.control_socket_disable
    default = _settings(monkeypatch, None)
    assert default.control_socket == str(ROOT / "instance" / "gunicorn.ctl")


def test_a_path_too_long_for_a_socket_disables_it(monkeypatch, tmp_path) -> None:
    assert _settings(monkeypatch, tmp_path / ("x" * 120)).control_socket_disable
