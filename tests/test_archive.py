"""The archive: front page by body, case index, case histories, Atom feeds; public means public."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import EXAMPLES, ITEM, MEETING, invoke, write_meeting
from .test_editions import closed_items, published_text, secrets

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The examples plus two more Direktionen meetings that treat case 20/6598 again."""
    root = tmp_path_factory.mktemp("repo")
    shutil.copytree(EXAMPLES, root / "repo")
    repo = root / "repo"
    again = ITEM.format(
        title="Tilbudsviften på det specialiserede socialområde for voksne", number=1
    )
    again = again.replace('"20/1"', '"20/6598"').replace("godkendte sag 1", "vedtog prioriteringen")
    write_meeting(
        repo / "direktionen" / "2021-04-12",
        {"meeting.yaml": MEETING.replace("2021-03-01", "2021-04-12"), "01-foerste.md": again},
    )
    write_meeting(
        repo / "direktionen" / "2020-12-07",
        {"meeting.yaml": MEETING.replace("2021-03-01", "2020-12-07")},
    )
    out = root / "out"
    result = invoke("build", repo, "-o", out, "-f", "html", "-f", "md", "-f", "json")
    assert result.exit_code == 0, result.output
    return out


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_front_page_groups_by_body_newest_first(archive: Path) -> None:
    page = text(archive / "index.html")
    bodies = re.findall(r"<h2>(.*?)</h2>", page)
    assert bodies == ["Direktionen", "Finance Committee", "Socialudvalget"]
    direktionen = page.split("<h2>Direktionen</h2>")[1].split("<h2>")[0]
    dates = re.findall(r'href="direktionen/(\d{4}-\d{2}-\d{2})/index.html"', direktionen)
    assert dates == ["2021-04-12", "2021-03-01", "2020-12-07"]
    assert 'href="direktionen/feed.xml"' in page and 'href="cases/index.html"' in page


def test_case_history_oldest_first_with_decisions(archive: Path) -> None:
    page = text(archive / "cases" / "20-6598.html")
    meetings = re.findall(r'<h2><a href="\.\./([^"]+)/index.html">', page)
    assert meetings == [
        "direktionen/2021-03-01",
        "socialudvalget/2021-03-15",
        "direktionen/2021-04-12",
    ]
    assert "Direktionen drøftede sagen. Prioriteringsforslagene" in page  # 1 March
    assert "Direktionen vedtog prioriteringen." in page  # 12 April
    assert "Ingen beslutning" in page  # the agenda
    assert 'href="../direktionen/2021-03-01/index.html#punkt-2"' in page
    index = text(archive / "cases" / "index.html")
    assert '<a href="20-6598.html">20/6598</a>' in index


def test_meeting_pages_link_to_the_archive_and_their_cases(archive: Path) -> None:
    page = text(archive / "direktionen" / "2021-03-01" / "index.html")
    assert '<a href="../../index.html">Til arkivet</a>' in page
    assert '<a href="../../cases/20-6598.html">20/6598</a>' in page
    for href in re.findall(r'href="(\.\./\.\./[^"#]+)"', page):
        assert (archive / "direktionen" / "2021-03-01" / href).resolve().is_file(), href


def test_feeds_are_atom(archive: Path) -> None:
    feed = ET.parse(archive / "direktionen" / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}updated") for e in entries] == [
        "2021-04-12T00:00:00Z",
        "2021-03-01T00:00:00Z",
        "2020-12-07T00:00:00Z",
    ]
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert all(i and i.startswith("urn:uuid:") for i in ids) and len(set(ids)) == 3
    for entry in entries:
        link = entry.find(f"{ATOM}link")
        assert link is not None
        assert (archive / "direktionen" / link.attrib["href"]).resolve().is_file()
    assert feed.findtext(f"{ATOM}updated") == "2021-04-12T00:00:00Z"


def test_public_archive_has_nothing_of_closed_items(archive: Path) -> None:
    everything = published_text(archive)
    for item in closed_items(EXAMPLES):
        for secret in secrets(item):
            assert secret not in everything
    case = text(archive / "cases" / "20-23083.html")
    assert "Punkt 6: Lukket" in case
    assert "Direktionen traf beslutning i en personalesag." in case


def test_internal_archive_is_marked_and_complete(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("build", EXAMPLES, "-o", out, "--edition", "internal").exit_code == 0
    for page in ("index.html", "cases/index.html", "cases/20-23083.html"):
        assert "Intern udgave" in text(out / page)
    case = text(out / "cases" / "20-23083.html")
    item = next(i for i in closed_items(EXAMPLES))
    assert item.title in case


def test_one_meeting_has_no_archive(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("build", EXAMPLES / "direktionen" / "2021-03-01", "-o", out).exit_code == 0
    assert not (out / "index.html").exists() and not (out / "cases").exists()
    assert "Til arkivet" not in text(out / "2021-03-01" / "index.html")
