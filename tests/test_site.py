"""The documentation site: built strictly with MkDocs, opened in headless Chromium, every internal link followed.

Needs the ``docs`` extra and Debian's ``chromium`` and ``chromium-driver`` (``make test`` installs them); outside
CI the browser tests skip with a reason when those are missing, in CI they fail.
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import os
import posixpath
import shutil
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.no_mame
ROOT = Path(__file__).resolve().parents[1]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must have it: make test-deps / the docs extra install it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built from the repository with ``mkdocs build --strict`` (any warning fails the build)."""
    pytest.importorskip("mkdocs", reason="the docs extra is not installed (pip install -e '.[docs]')")
    out = tmp_path_factory.mktemp("site")
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                          "-d", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert run.returncode == 0, f"mkdocs build --strict failed:\n{run.stderr[-4000:]}"
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the browser dropping a request as it navigates
            super().handle_error(request, client_address)


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """The built site served over HTTP on localhost (as ``make docs-serve`` does), its base URL."""
    httpd = _Server(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium driven through chromedriver (both from the system: nothing is downloaded)."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="the docs extra is not installed")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        _missing("chromium and chromedriver are needed (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _open(browser: Any, url: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    # images still decoding after the load event
    WebDriverWait(browser, 30).until(lambda d: d.execute_script(
        "return Array.from(document.images).every(i => i.complete)"))


@pytest.mark.parametrize(("page", "title", "picture"), [
    ("index.html", "mame_zoo", "img/games/boxing_v0.gif"),
    ("games/boxing_v0.html", "boxing_v0", "img/games/boxing_v0.gif"),
    ("games/index.html", "Games", "img/games/warlords_v0.gif"),
])
def test_page_renders_with_its_pictures_and_no_console_error(browser: Any, server: str, page: str, title: str,
                                                             picture: str) -> None:
    browser.get_log("browser")  # drop what earlier pages logged
    _open(browser, server + page)
    assert browser.find_element("css selector", "article h1").text.strip() == title
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.currentSrc, i.complete, i.naturalWidth])")
    assert any(src.endswith(picture) for src, _, _ in images), f"{picture} is not on {page}: {images}"
    broken = [src for src, complete, width in images if not complete or width == 0]
    assert not broken, f"images that did not load on {page}: {broken}"
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, f"console errors on {page}: {errors}"


def test_search_finds_a_game(browser: Any, server: str) -> None:
    """The site's search (Material's, run in the browser) finds Boxing's page."""
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, server + "index.html")
    browser.execute_script("document.querySelector('.md-search__input').focus()")
    field = browser.find_element("css selector", ".md-search__input")
    field.send_keys("boxing")
    WebDriverWait(browser, 30).until(lambda d: any(
        "games/boxing_v0.html" in (a.get_attribute("href") or "")
        for a in d.find_elements("css selector", ".md-search-result__link")))


class _Page(html.parser.HTMLParser):
    """The ids and the link targets (href/src) of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)
            elif name in ("href", "src") and value and tag in ("a", "link", "img", "script", "source"):
                self.links.append(value)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_no_internal_link_is_broken(site: Path, server: str) -> None:
    """Every href/src of every page that stays on the site is served (HTTP 200) and every #fragment exists."""
    pages = {p.relative_to(site).as_posix(): _parse(p) for p in site.rglob("*.html")}
    assert {"index.html", "installation.html", "games/boxing_v0.html", "api/env.html"} <= set(pages)
    fetched: dict[str, int] = {}
    broken: list[str] = []
    for name, page in sorted(pages.items()):
        for link in page.links:
            parts = urllib.parse.urlsplit(link)
            if parts.scheme or parts.netloc:  # another site
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), parts.path)) if parts.path \
                else name
            if target.endswith("/") or target == ".":
                target = posixpath.join(target, "index.html")
            if target.startswith(".."):
                broken.append(f"{name}: {link} leaves the site")
                continue
            if target not in fetched:
                try:
                    with urllib.request.urlopen(server + urllib.parse.quote(target), timeout=30) as reply:
                        fetched[target] = reply.status
                except urllib.error.HTTPError as exc:
                    fetched[target] = exc.code
            if fetched[target] != 200:
                broken.append(f"{name}: {link} -> HTTP {fetched[target]}")
            elif parts.fragment and target in pages and parts.fragment not in pages[target].ids:
                broken.append(f"{name}: {link} -> no #{parts.fragment} on {target}")
    assert len(fetched) > 20
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def _inventory(site: Path) -> set[str]:
    """The object names in the site's ``objects.inv`` (Sphinx's inventory v2, which mkdocstrings writes)."""
    data = (site / "objects.inv").read_bytes()
    for _ in range(4):  # four header lines, then the zlib-compressed "name domain:role priority uri dispname"
        data = data[data.index(b"\n") + 1:]
    return {line.split(" ", 1)[0] for line in zlib.decompress(data).decode().splitlines() if line}


def _public_names() -> dict[str, set[str]]:
    """Every public name of every public module, with the paths that document it (its own, its alias target)."""
    import griffe

    package = griffe.load("mame_zoo", search_paths=[str(ROOT)], docstring_parser="google", resolve_aliases=True)
    names: dict[str, set[str]] = {}

    def visit(obj: Any) -> None:
        for member in obj.members.values():
            if not member.is_public or (member.is_module and member.name.startswith("_")):
                continue
            if obj.is_class and member.name.startswith("__"):  # __init__ & co.: the class's signature shows them
                continue
            paths = {member.path} | ({member.target_path} if member.is_alias else set())
            if member.is_module and not member.is_alias:
                names[member.path] = paths
                visit(member)
            elif not member.is_alias or member.target_path.startswith("mame_zoo."):
                names[member.path] = paths
                if member.is_class and not member.is_alias:
                    visit(member)

    names["mame_zoo"] = {"mame_zoo"}
    visit(package)
    return names


def test_api_reference_covers_every_public_name(site: Path) -> None:
    documented = _inventory(site)
    names = _public_names()
    assert len(names) > 200
    missing = sorted(name for name, paths in names.items() if not paths & documented)
    assert not missing, (f"{len(missing)} public names are not in the API reference (add a docstring, or the "
                         f"module to a docs/api/ page):\n" + "\n".join(missing))
