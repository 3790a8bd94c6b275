"""bridge.lua assigns no variable it has not declared above the assignment: in Lua such an assignment silently
makes a global, which the bridge's locals of that name never see (a ``local x`` declared further down the file is
another variable). Checked on the script's text, without MAME."""

from __future__ import annotations

import re

import pytest

from mame_zoo import _paths

pytestmark = pytest.mark.no_mame  # pure logic: runs on one MAME version only

#: the globals the bridge means to set: MAME runs the script in its own Lua state, these outlive a reload
GLOBALS = {"MAME_ZOO_BRIDGE_LOADED", "MAME_ZOO_AFTER_RESET", "MAME_ZOO_SUBSCRIPTION"}

_NAME = r"[A-Za-z_]\w*"
_NAMES = rf"{_NAME}(?:\s*,\s*{_NAME})*"
_DECLARATIONS = (
    re.compile(rf"\blocal\s+function\s+({_NAME})"),
    re.compile(rf"\blocal\s+({_NAMES})"),
    re.compile(rf"\bfor\s+({_NAMES})\s+in\b"),
    re.compile(rf"\bfor\s+({_NAME})\s*="),
    re.compile(rf"\bfunction\s*(?:{_NAME}(?:[.:]{_NAME})*)?\s*\(([^)]*)\)"),
)
# a statement's start: the line's, or after a keyword that ends one; then names and a single "="
_ASSIGNMENT = re.compile(rf"(?:^|\bthen\b|\bdo\b|\belse\b|\bend\b|;)\s*({_NAMES})\s*=(?!=)")


def _code(line: str) -> str:
    """The line without string literals and comments."""
    line = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'', '""', line)
    return line.split("--", 1)[0]


def _statements(text: str) -> list[tuple[int, str]]:
    """(first line number, code) of each line, joined with the lines it continues on (a line ending in a comma,
    an opening bracket or "=")."""
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        code = _code(raw)
        start, joined = pending if pending else (number, "")
        joined += " " + code
        pending = (start, joined) if code.rstrip().endswith((",", "{", "(", "=")) else None
        if pending is None:
            out.append((start, joined))
    return out


def undeclared_assignments(text: str) -> list[tuple[int, str]]:
    """(line number, name) of every assignment to a name no earlier line (or the same line, before it) declares
    as a local, parameter or loop variable. Scopes are not tracked: a name declared anywhere above counts."""
    declared: set[str] = set()
    found = []
    for number, line in _statements(text):
        for pattern in _DECLARATIONS:
            for names in pattern.findall(line):
                declared.update(n.strip() for n in names.split(",") if n.strip() and n.strip() != "...")
        for names in _ASSIGNMENT.findall(line):
            if re.match(r"\s*local\b", line):
                continue
            found += [(number, n.strip()) for n in names.split(",") if n.strip() not in declared | GLOBALS]
    return found


def test_the_bridge_assigns_only_declared_names() -> None:
    text = _paths.lua_script("bridge.lua").read_text(encoding="utf-8")
    assert undeclared_assignments(text) == []


def test_the_check_sees_a_local_declared_too_late() -> None:
    """The bug it guards against: a function assigns a name whose ``local`` comes later in the file."""
    late = "local function set()\n  screen_source = 1\nend\nlocal screen_source = nil\n"
    assert undeclared_assignments(late) == [(2, "screen_source")]
    early = "local screen_source = nil\nlocal function set()\n  screen_source = 1\nend\n"
    assert undeclared_assignments(early) == []
    assert undeclared_assignments("for k, v in pairs(t) do k = v end\nif a then b = 1 end\n") == [(2, "b")]
