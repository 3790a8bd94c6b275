"""The generated game pages must match the declarations (regenerate: python -m mame_zoo.gamedoc docs/games)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mame_zoo.gamedoc import render
from mame_zoo.registry import names

DOCS = Path(__file__).resolve().parents[1] / "docs" / "games"


@pytest.mark.parametrize("name", names())
def test_game_page_is_current(name: str) -> None:
    page = DOCS / f"{name}.md"
    assert page.is_file(), f"missing {page}; run python -m mame_zoo.gamedoc docs/games"
    assert page.read_text(encoding="utf-8") == render(name), f"{page} is stale; run python -m mame_zoo.gamedoc"
