"""The PDF edition: tagged PDF/UA-1, metadata, contents with true page numbers, no leaks."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest

from referat.render import pdf

from .conftest import EXAMPLES, ROOT, invoke, tree_digest
from .test_editions import closed_items, secrets

SEED = EXAMPLES / "direktionen" / "2021-03-01"
ENGLISH = EXAMPLES / "en"
OTHER = ROOT / "tests" / "cases" / "other-organisation" / "src"

POPPLER = shutil.which("pdftotext") is not None and shutil.which("pdfinfo") is not None
needs_poppler = pytest.mark.skipif(
    not POPPLER and not os.environ.get("REFERAT_REQUIRE_POPPLER"),
    reason="poppler-utils (pdftotext, pdfinfo) not installed",
)


def build_pdf(source: Path, out: Path, *args: str) -> list[Path]:
    result = invoke("build", source, "-o", out, "-f", "pdf", *args)
    assert result.exit_code == 0, result.output
    return sorted(out.rglob("referat.pdf"))


@pytest.fixture(scope="module")
def seed_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_pdf(SEED, tmp_path_factory.mktemp("seed"))[0]


@pytest.fixture(scope="module")
def english_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_pdf(ENGLISH, tmp_path_factory.mktemp("en"))[0]


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def contents(first_page: str, item_word: str) -> dict[int, int]:
    """Item number -> page number, read from the table of contents on the first page."""
    entries = re.findall(rf"^{item_word} (\d+):.*?\.{{3,}}\s*(\d+)\s*$", first_page, re.MULTILINE)
    return {int(number): int(page) for number, page in entries}


def starts(pages: list[str], item_word: str) -> dict[int, int]:
    """Item number -> 1-based page whose text has the item's heading."""
    found: dict[int, int] = {}
    for index, text in enumerate(pages[1:], start=2):
        for number in re.findall(rf"^{item_word} (\d+):", text, re.MULTILINE):
            found.setdefault(int(number), index)
    return found


@pytest.mark.parametrize(
    ("fixture", "word", "count"), [("seed_pdf", "Punkt", 6), ("english_pdf", "Item", 4)]
)
def test_contents_show_the_page_each_item_starts_on(
    fixture: str, word: str, count: int, request: pytest.FixtureRequest
) -> None:
    pages = page_texts(request.getfixturevalue(fixture))
    toc = contents(pages[0], word)
    assert sorted(toc) == list(range(1, count + 1))
    assert toc == starts(pages, word)
    assert len(set(toc.values())) == count, "each item starts on a new page"


def test_metadata_and_tagging(seed_pdf: Path, english_pdf: Path) -> None:
    for path, title, author, lang in (
        (seed_pdf, "REFERAT Direktionen d. 01-03-2021", "Direktionen", "da"),
        (english_pdf, "MINUTES Finance Committee, 12 May 2025", "Finance Committee", "en"),
    ):
        reader = pypdf.PdfReader(path)
        assert reader.metadata is not None
        assert reader.metadata.title == title
        assert reader.metadata.author == author
        root = reader.trailer["/Root"].get_object()
        assert isinstance(root, pypdf.generic.DictionaryObject)
        assert str(root["/Lang"]) == lang
        mark_info = root["/MarkInfo"].get_object()
        assert isinstance(mark_info, pypdf.generic.DictionaryObject)
        assert bool(mark_info["/Marked"])
        assert "/StructTreeRoot" in root
        xmp = reader.xmp_metadata
        assert xmp is not None
        assert b'pdfuaid:part="1"' in xmp.stream.get_data()
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4


def test_running_header_footer_and_danish_letters(seed_pdf: Path, english_pdf: Path) -> None:
    pages = page_texts(seed_pdf)
    assert "Mødedato Mandag d. 01. marts 2021 kl. 09:30" in pages[0]
    assert "Indholdsfortegnelse" in pages[0]
    assert f"Side 1 af {len(pages)}" in pages[0]
    assert f"Side 2 af {len(pages)}" in pages[1]
    assert "REFERAT Direktionen d. 01-03-2021" in pages[1]  # running header
    assert "Øvrige sager" in pages[1] and "Beslutning Direktionen den 01-03-2021" in pages[1]
    assert "Tilbudsviften på det specialiserede socialområde for voksne" in "".join(pages)
    english = page_texts(english_pdf)
    assert "Table of contents" in english[0]
    assert f"Page 1 of {len(english)}" in english[0]


def test_public_pdf_has_nothing_of_closed_items(seed_pdf: Path, tmp_path: Path) -> None:
    other = build_pdf(OTHER, tmp_path)[0]
    for path, source in ((seed_pdf, SEED), (other, OTHER)):
        text = "\n".join(page_texts(path))
        assert re.search(r"^(Punkt \d+: Lukket)", text, re.MULTILINE)
        for item in closed_items(source):
            for secret in secrets(item):
                # PDF text breaks lines; compare with white space squeezed.
                assert " ".join(secret.split()) not in " ".join(text.split()), secret
        assert not pypdf.PdfReader(path).attachments


def test_internal_pdf_has_closed_items_and_embeds_attached_pdfs(tmp_path: Path) -> None:
    path = build_pdf(OTHER, tmp_path, "--edition", "internal")[0]
    text = " ".join(" ".join(page_texts(path)).split())
    assert "Salg af grund til Zebrafinke Ejendomme A/S" in text
    assert "Lukket punkt" in text
    attachments = pypdf.PdfReader(path).attachments
    assert sorted(attachments) == ["bilag/budgetnotat.pdf", "bilag/koebstilbud.pdf"]
    assert attachments["bilag/koebstilbud.pdf"] == [b"%PDF-1.4 koebstilbud Zebrafinke\n"]


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = build_pdf(EXAMPLES, tmp_path / "a", "--edition", "internal")
    second = build_pdf(EXAMPLES, tmp_path / "b", "--edition", "internal")
    assert len(first) == 3
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_unchanged_meetings_are_not_laid_out_again(tmp_path: Path) -> None:
    out = tmp_path / "out"
    source = tmp_path / "src"
    shutil.copytree(SEED, source / "2021-03-01")
    shutil.copytree(EXAMPLES / "socialudvalget" / "2021-03-15", source / "2021-03-15")
    first = invoke("build", source, "-o", out, "-f", "pdf")
    assert "; 2 PDFs laid out" in first.stdout
    before = tree_digest(out)
    again = invoke("build", source, "-o", out, "-f", "pdf")
    assert "; 0 PDFs laid out; nothing changed" in again.stdout
    assert tree_digest(out) == before
    # One changed meeting is laid out again, the other is not.
    item = source / "2021-03-15" / "01-tilbudsviften.md"
    if not item.exists():
        item = sorted((source / "2021-03-15").glob("01-*.md"))[0]
    item.write_text(item.read_text(encoding="utf-8") + "\nEn ny sætning.\n", encoding="utf-8")
    changed = invoke("build", source, "-o", out, "-f", "pdf")
    assert "; 1 PDF laid out" in changed.stdout
    assert tree_digest(out)["2021-03-01/referat.pdf"] == before["2021-03-01/referat.pdf"]


def test_a_damaged_cache_is_not_trusted(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_pdf(SEED, out)
    good = (out / "2021-03-01" / "referat.pdf").read_bytes()
    for cached in (out / ".referat-cache").rglob("*.pdf"):
        cached.unlink()  # the output file is a hard link: unlink, then write a bad copy
        cached.write_bytes(b"%PDF-1.7 not the real thing")
    # Another format set invalidates the build, not the PDF: the PDF cache is consulted.
    result = invoke("build", SEED, "-o", out, "-f", "pdf", "-f", "md")
    assert "; 1 PDF laid out" in result.stdout
    assert (out / "2021-03-01" / "referat.pdf").read_bytes() == good


def test_without_the_pdf_engine_the_other_formats_still_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> None:
        raise pdf.PdfUnavailable(pdf.INSTALL_HINT + " (cannot load library 'libpango-1.0-0')")

    monkeypatch.setattr(pdf, "engine", missing)
    result = invoke("build", SEED, "-o", tmp_path / "out", "-f", "all")
    assert result.exit_code == 1
    assert "apt-get install libpango-1.0-0" in result.stderr
    assert "Traceback" not in result.output
    assert sorted(p.name for p in (tmp_path / "out" / "2021-03-01").iterdir()) == [
        "index.html",
        "referat.json",
        "referat.md",
    ]
    only = invoke("build", SEED, "-o", tmp_path / "only", "-f", "pdf")
    assert only.exit_code == 1
    assert not (tmp_path / "only").exists()


@needs_poppler
def test_poppler_sees_a_tagged_pdf_with_contents_and_page_numbers(seed_pdf: Path) -> None:
    info = subprocess.run(["pdfinfo", str(seed_pdf)], capture_output=True, text=True, check=True)
    assert re.search(r"^Tagged:\s+yes$", info.stdout, re.MULTILINE)
    assert re.search(r"^Title:\s+REFERAT Direktionen d. 01-03-2021$", info.stdout, re.MULTILINE)
    assert re.search(r"^Page size:.*\(A4\)$", info.stdout, re.MULTILINE)
    text = subprocess.run(
        ["pdftotext", "-layout", str(seed_pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")
    toc = contents(pages[0].replace("\n\n", "\n"), "Punkt")
    assert sorted(toc) == [1, 2, 3, 4, 5, 6]
    for number, page in toc.items():
        assert re.search(rf"^\s*Punkt {number}:", pages[page - 1], re.MULTILINE)


def test_reading_order_follows_the_document(seed_pdf: Path) -> None:
    text = " ".join(" ".join(page_texts(seed_pdf)).split())
    order = ["REFERAT Direktionen", "Indholdsfortegnelse", "Punkt 1: Øvrige sager", "Baggrund"]
    order += ["Beslutning Direktionen den 01-03-2021", "Punkt 2: Tilbudsviften", "Punkt 6: Lukket"]
    positions = [
        text.index(part, text.index("Punkt 1: Øvrige sager Sagsnr.") if i > 2 else 0)
        for i, part in enumerate(order)
    ]
    assert positions == sorted(positions)


def test_pdf_bytes_are_a_pdf(seed_pdf: Path) -> None:
    data = seed_pdf.read_bytes()
    assert data.startswith(b"%PDF-1.7") and data.rstrip().endswith(b"%%EOF")
    assert pypdf.PdfReader(io.BytesIO(data)).is_encrypted is False
