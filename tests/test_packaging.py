"""The wheel must carry lua/ (as mame_zoo/_lua): build it and install it into a fresh venv, not editable."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.first_mame  # the wheel does not depend on MAME; it runs one step on the first version
def test_wheel_ships_the_lua_bridge(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(ROOT)],
                   check=True, timeout=300)
    (wheel,) = dist.glob("mame_zoo-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "mame_zoo/_lua/bridge.lua" in names
    assert "mame_zoo/bridge/client.py" in names
    assert "mame_zoo/games/data/boxing.toml" in names  # the built-in games are data files

    # A fresh venv; a .pth lends it this interpreter's dependencies (numpy, pettingzoo, ...), appended after
    # its own site-packages, so `import mame_zoo` finds the installed wheel, never the checkout.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "lend_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)],
                   check=True, timeout=300)
    out = subprocess.run(
        [str(python), "-c", "import mame_zoo, mame_zoo._paths as p; print(mame_zoo.__file__); print(p.lua_dir())"],
        check=True, capture_output=True, text=True, cwd=tmp_path, timeout=120).stdout.split()
    package_file, lua_dir = Path(out[0]), Path(out[1])
    assert env_dir in package_file.parents, "imported the checkout instead of the installed wheel"
    assert lua_dir == package_file.parent / "_lua"
    assert (lua_dir / "bridge.lua").is_file()
