"""Writing variables into game files (what ``mame-zoo find`` saves), keeping the rest of the file as written."""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from mame_zoo.core.ops import Var
from mame_zoo.declarative.rules import Decoder
from mame_zoo.errors import InvalidGameSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEADER = re.compile(r"^\s*\[")


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (JSON's escapes are valid TOML; non-ASCII is escaped too)."""
    return json.dumps(text, ensure_ascii=True)


def var_entry(var: Var, decoder: Decoder | None = None) -> str:
    """The inline table of a variable, e.g. ``{ address = 0x92, decode = "bcd" }``."""
    parts = [f"address = {var.address:#x}"]
    if var.dtype != "u8":
        parts.append(f"type = {toml_string(var.dtype)}")
    if var.device != ":maincpu":
        parts.append(f"device = {toml_string(var.device)}")
    if var.space != "program":
        parts.append(f"space = {toml_string(var.space)}")
    if decoder is not None:
        if decoder.byteswap:
            parts.append("byteswap = true")
        if decoder.bcd:
            parts.append('decode = "bcd"')
        if decoder.mask is not None:
            parts.append(f"mask = {decoder.mask:#x}")
        if decoder.shift:
            parts.append(f"shift = {decoder.shift}")
        if decoder.special:
            parts.append("special = { " + ", ".join(f"{k:#x} = {v}" for k, v in decoder.special) + " }")
    return "{ " + ", ".join(parts) + " }"


def machine_section(system: str, media: Mapping[str, str], options: Sequence[str] = (),
                    screen: tuple[int, int] | None = None) -> str:
    """``[machine]`` (and ``[screen]``) text for a new game file."""
    lines = ["[machine]", f"system = {toml_string(system)}"]
    if media:
        lines.append("media = { " + ", ".join(f"{slot} = {toml_string(v)}" for slot, v in media.items()) + " }")
    if options:
        lines.append("options = [" + ", ".join(toml_string(o) for o in options) + "]")
    if screen is not None:
        lines += ["", "[screen]", f"size = [{screen[0]}, {screen[1]}]  # height, width of MAME's screen"]
    return "\n".join(lines) + "\n"


NEW_FILE_HEADER = """\
# Game file started by `mame-zoo find` (format: docs/declarative.md).
# Still to declare: [game] (name), [actions], [[agents]], [[rewards]] and [done], [start].
"""


def save_vars(path: str | os.PathLike[str], entries: Mapping[str, str], comments: Mapping[str, str] | None = None,
              new_file: str = "") -> None:
    """Add or replace ``NAME = {...}`` lines of the ``[vars]`` table in the TOML file ``path``.

    ``entries`` maps variable names to inline tables (:func:`var_entry`). A missing file is created from
    ``new_file`` (e.g. :func:`machine_section`) plus the variables. The rest of an existing file is kept as it
    is; the result must parse as TOML, and is written atomically.
    """
    file = Path(path)
    comments = comments or {}
    for name in entries:
        if not _IDENT.fullmatch(name):
            raise InvalidGameSpec(f"{file}: vars.{name}: a variable name is letters, digits and _")
    text = file.read_text(encoding="utf-8") if file.exists() else NEW_FILE_HEADER + "\n" + new_file
    if file.exists():
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidGameSpec(f"{file}: not valid TOML, not changing it: {exc}") from None
        for name in entries:
            existing = data.get("vars", {}).get(name)
            if isinstance(existing, dict) and not re.search(rf"(?m)^\s*{name}\s*=", _vars_block(text)[1]):
                raise InvalidGameSpec(f"{file}: vars.{name} is written as its own [vars.{name}] table; remove it "
                                      "first so the finder can write it as one line")
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if re.fullmatch(r"\s*\[vars\]\s*(#.*)?", ln)), None)
    if start is None:
        if lines and lines[-1].strip():
            lines.append("")
        lines.append("[vars]")
        start = len(lines) - 1
    end = next((i for i in range(start + 1, len(lines)) if _HEADER.match(lines[i])), len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    for name, entry in entries.items():
        line = f"{name} = {entry}" + (f"  # {comments[name]}" if comments.get(name) else "")
        for i in range(start + 1, end):
            if re.match(rf"\s*{name}\s*=", lines[i]):
                lines[i] = line
                break
        else:
            lines.insert(end, line)
            end += 1
    result = "\n".join(lines) + "\n"
    try:
        tomllib.loads(result)
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - the edit above keeps the file valid
        raise InvalidGameSpec(f"{file}: writing the variables would break the file ({exc}); not written") from None
    file.parent.mkdir(parents=True, exist_ok=True)
    if file.exists():
        mode = stat.S_IMODE(file.stat().st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{file.name}.", dir=file.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(result)
        os.chmod(tmp, mode)
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _vars_block(text: str) -> tuple[int, str]:
    match = re.search(r"(?m)^\s*\[vars\]\s*(#.*)?$", text)
    if match is None:
        return -1, ""
    rest = text[match.end():]
    nxt = re.search(r"(?m)^\s*\[", rest)
    return match.start(), rest[: nxt.start()] if nxt else rest


__all__ = ["NEW_FILE_HEADER", "machine_section", "save_vars", "toml_string", "var_entry"]
