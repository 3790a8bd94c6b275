"""The generated game pages must match the declarations (regenerate: python -m mame_zoo.gamedoc docs)."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import pytest

from mame_zoo.gamedoc import pages
from mame_zoo.games import declaration
from mame_zoo.registry import names

pytestmark = pytest.mark.no_mame
DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = pages(DOCS)


@pytest.mark.parametrize("page", sorted(PAGES), ids=lambda p: p.name)
def test_generated_page_is_current(page: Path) -> None:
    assert page.is_file(), f"missing {page}; run python -m mame_zoo.gamedoc docs"
    assert page.read_text(encoding="utf-8") == PAGES[page], f"{page} is stale; run python -m mame_zoo.gamedoc docs"


@pytest.mark.parametrize("name", [n for n in names() if getattr(declaration(n), "rom", None)])
def test_every_atari_game_has_a_moving_picture(name: str) -> None:
    """Games whose cartridge ships with ale-py have a GIF of play on their page (arcade romsets are the user's)."""
    gif = DOCS / "img" / "games" / f"{name}.gif"
    assert gif.is_file(), f"missing {gif}; run python -m mame_zoo.gamedoc docs --gifs"
    frames = iio.imread(gif, index=None)
    assert len(frames) > 10 and len({f.tobytes() for f in frames}) > 10, f"{gif} does not move"
    assert f"](../img/games/{name}.gif)" in PAGES[DOCS / "games" / f"{name}.md"]
