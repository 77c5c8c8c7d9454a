"""The command line's own promises (the pipeline behind it is tested in integration)."""

from __future__ import annotations

from orchestration.cli import main


def test_run_refuses_to_start_without_a_hash_key(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("CCHC_HASH_KEY", raising=False)
    assert main(["run"]) == 2
    assert "CCHC_HASH_KEY is not set" in capsys.readouterr().err


def test_scorecard_says_when_nothing_is_published(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CCHC_PUBLISH_DIR", str(tmp_path / "nowhere"))
    assert main(["scorecard"]) == 0
    assert "nothing published yet" in capsys.readouterr().err
