"""`referat import`: a referat in Markdown, as converters give it, to a meeting folder."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from referat.config import Config, SectionSpec
from referat.importer import Imported, import_text
from referat.validate import check

from .conftest import EXAMPLES, ROOT, invoke, tree_digest

SEED = ROOT / "tests" / "data" / "seed-referat.md"

OTHER_CONFIG = """\
case_pattern: '^EMN-\\d{4}-\\d{6}$'
sections:
  - {key: summary, heading: Resume, required: true}
  - {key: decision, heading: Beslutninger, phase: minutes}
  - {key: history, heading: Sagsforløb}
"""

#: Another organisation's referat: its own section names, in another order, bold headings,
#: "Sagsnummer:" lines, a meeting block with a colon after each label, a page number.
OTHER = """\
# Referat Teknik- og Miljøudvalget 12-05-2025

**Mødedato:** Mandag den 12. maj 2025 kl. 15.00-17.30

**Mødested:** Rådhuset, lokale 390

**Deltagere:** Anna Bech (formand), Bo Dahl og
Carl Eriksen

**Afbud:** Dorthe Frost

**Indhold**

Punkt 1: Trafiksikkerhedsplan 2025 ........ 2
Punkt 2: Udbud af vintertjeneste ........ 4
Punkt 3: Lukket ........ 5

## Punkt 1: Trafiksikkerhedsplan 2025

Sagsnummer: EMN-2025-010561

### Beslutninger

Udvalget godkendte planen.

### Resume

Planen samler kommunens indsats for færre trafikulykker frem mod 2030.

### Sagsforløb

Planen har været i offentlig høring fra 1. til 28. marts 2025, og der kom 14 høringssvar,
som administrationen har gennemgået og indarbejdet hvor det var muligt

Side 2 af 5

ved at justere prioriteringen af de enkelte projekter.

#### Høringssvar

- Cyklistforbundet ønsker flere cykelstier.
- Skolebestyrelser ønsker sikre skoleveje.

## Punkt 2: Udbud af vintertjeneste

Sagsnummer: EMN-2025-004411

**Resume**

Kontrakten udløber 30. april 2026.

**Beslutninger Teknik- og Miljøudvalget den 12-05-2025**

Godkendt.

**Bilag**

- Udbudsmateriale vintertjeneste
- Notat om erfaringer 2020-2025

## Punkt 3: Lukket

Sagsnummer: EMN-2025-011000
"""


def _front(path: Path) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    assert isinstance(front, dict)
    return front


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def _seed_body_lines() -> list[tuple[int, str]]:
    """Every line of text of the seed's items: not headings, not the lone "?", not case numbers."""
    lines = SEED.read_text(encoding="utf-8").split("\n")
    first_item = next(i for i, line in enumerate(lines) if "Punkt 1:" in line and "#" in line)
    out = []
    for number, line in enumerate(lines[first_item:], first_item + 1):
        text = line.strip()
        if not text or text.startswith("#") or text == "?" or re.fullmatch(r"\d{2}/\d+", text):
            continue
        out.append((number, text))
    return out


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    """A copy of the seed in a folder of its own."""
    path = tmp_path / "in" / "referat.md"
    path.parent.mkdir()
    shutil.copyfile(SEED, path)
    return path


@pytest.fixture
def imported_seed(seed: Path, tmp_path: Path) -> Path:
    """The seed imported with the CLI; the meeting folder."""
    out = tmp_path / "src" / "direktionen" / "2021-03-01"
    result = invoke("import", seed, "-o", out)
    assert result.exit_code == 0, result.stdout + result.stderr
    return out


# --- the seed ------------------------------------------------------------------------------


def test_seed_gives_six_items(imported_seed: Path) -> None:
    names = sorted(p.name for p in imported_seed.iterdir())
    assert names == [
        "01-oevrige-sager.md",
        "02-tilbudsviften-paa-det-specialiserede.md",
        "03-status-paa-sammenhaengende-borgerforloeb.md",
        "04-kriterier-for-privat-udlejning-i-udsatte.md",
        "05-afklaring-af-droeftelsepunkter-til.md",
        "06-lukket.md",
        "meeting.yaml",
    ]
    fronts = [_front(p) for p in sorted(imported_seed.glob("*.md"))]
    assert [f["title"] for f in fronts] == [
        "Øvrige sager",
        "Tilbudsviften på det specialiserede socialområde for voksne",
        "Status på sammenhængende borgerforløb",
        "Kriterier for privat udlejning i udsatte boligområde",
        "Afklaring af drøftelsepunkter til kommende møde med borgmesteren",
        "Lukket",
    ]
    assert [f["case"] for f in fronts] == [
        "20/23083",
        "20/6598",
        "21/656",
        "20/22499",
        "20/23083",
        "20/23083",
    ]
    assert [f.get("closed", False) for f in fronts] == [False] * 5 + [True]
    assert fronts[0]["attachments"] == ["Opfølgning ledelseskontrol 2020"]
    assert fronts[2]["attachments"] == [
        "Udkast til politisk sag.PDF",
        "Oplæg til direktionmøde 1.3",
    ]


def test_seed_meeting_block(imported_seed: Path) -> None:
    meeting = yaml.safe_load((imported_seed / "meeting.yaml").read_text(encoding="utf-8"))
    assert meeting == {
        "body": "Direktionen",
        "date": dt.date(2021, 3, 1),
        "time": "09:30",
        "location": "Teams",
        "participants": [
            "Lars Holte",
            "Jørgen Lerhard",
            "Charlotte Markussen",
            "Kathrine Seier Skastrup",
            "Anya Krogh Manghezi",
        ],
        "phase": "minutes",
    }


def test_seed_validates_without_errors(imported_seed: Path) -> None:
    checked = check([imported_seed])
    assert [d for d in checked.diagnostics if d.severity == "error"] == []
    (meeting,) = checked.meetings
    item = meeting.items[1]
    assert [s.spec.key for s in item.sections] == [
        "background",
        "recommendation",
        "decision",
        "presentation",
    ]
    assert "### Opgangsfællesskabet Taastrup Torv" in item.sections[3].markdown


def test_seed_import_reports_what_it_left_out(seed: Path, tmp_path: Path) -> None:
    result = invoke("import", seed, "-o", tmp_path / "out")
    assert result.exit_code == 0
    assert "No problems in 7 files" in result.stdout
    shown = str(seed)
    for line, words in [
        (12, "table of contents (6 entries)"),
        (39, 'section "Sagsfremstilling" of Punkt 1 is empty'),
        (112, "joined a paragraph split by a page break (lines 110 and 112)"),
        (181, 'left out a line holding only "?"'),
    ]:
        assert any(
            row.startswith(f"{shown}:{line}: note: ") and words in row
            for row in result.stderr.splitlines()
        ), (line, result.stderr)


def test_seed_build_reproduces_every_paragraph(imported_seed: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    result = invoke("build", imported_seed, "-o", out, "--edition", "internal", "-f", "md")
    assert result.exit_code == 0, result.stdout + result.stderr
    text = (out / "2021-03-01" / "referat.md").read_text(encoding="utf-8")
    rendered = _normal(text)
    missing = [(n, line) for n, line in _seed_body_lines() if _normal(line) not in rendered]
    assert missing == []
    # The page-break split is joined into one paragraph.
    assert "Disse ting har også været bemærket af Socialtilsynet. Boligselskabet" in rendered

    headings = [_normal(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")]
    seed = SEED.read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(seed) if line.startswith("# Punkt 1"))
    for line in seed[start:]:
        if line.startswith("#"):
            wanted = _normal(line.lstrip("#").replace("**", ""))
            assert any(h == wanted or h.endswith(wanted) for h in headings), wanted
    for case in ("20/23083", "20/6598", "21/656", "20/22499"):
        assert f"Sagsnr. {case}" in text
    assert "## Punkt 6: Lukket" in text
    assert "*Lukket punkt*" in text


def test_seed_import_is_pure_and_typed() -> None:
    result = import_text(SEED.read_text(encoding="utf-8"))
    assert isinstance(result, Imported)
    assert [i.number for i in result.items] == [1, 2, 3, 4, 5, 6]
    assert result.items[5].closed and result.items[5].title == "Lukket"
    assert result.items[5].sections == ()
    assert [n.level for n in result.notes] == ["note"] * 4
    files = result.files()
    assert list(files) == ["meeting.yaml", *(i.file_name for i in result.items)]


# --- another organisation ------------------------------------------------------------------


def _other(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The other organisation's referat, its referat.yaml, and where the meeting goes (below it)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    config = repo / "referat.yaml"
    config.write_text(OTHER_CONFIG, encoding="utf-8")
    source = tmp_path / "tmu.md"
    source.write_text(OTHER, encoding="utf-8")
    return source, config, repo / "teknik-og-miljoe" / "2025-05-12"


def test_other_organisation_with_config(tmp_path: Path) -> None:
    source, config, out = _other(tmp_path)
    result = invoke("import", source, "-o", out, "--config", config)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "No problems in 4 files" in result.stdout
    meeting = yaml.safe_load((out / "meeting.yaml").read_text(encoding="utf-8"))
    assert meeting == {
        "body": "Teknik- og Miljøudvalget",
        "date": dt.date(2025, 5, 12),
        "time": "15:00",
        "end": "17:30",
        "location": "Rådhuset, lokale 390",
        "participants": ["Anna Bech (formand)", "Bo Dahl", "Carl Eriksen"],
        "absent": ["Dorthe Frost"],
        "phase": "minutes",
    }
    items = sorted(out.glob("*.md"))
    assert [_front(p)["case"] for p in items] == [
        "EMN-2025-010561",
        "EMN-2025-004411",
        "EMN-2025-011000",
    ]
    assert _front(items[1])["attachments"] == [
        "Udbudsmateriale vintertjeneste",
        "Notat om erfaringer 2020-2025",
    ]
    assert _front(items[2])["closed"] is True
    first = items[0].read_text(encoding="utf-8")
    # Sections in the configured order, whatever the order in the document.
    assert first.index("## Resume") < first.index("## Beslutninger") < first.index("## Sagsforløb")
    assert "### Høringssvar" in first
    assert "sections of Punkt 1 put in the configured order" in result.stderr
    assert 'left out the page number "Side 2 af 5"' in result.stderr
    # All text kept.
    written = _normal("\n".join(p.read_text(encoding="utf-8") for p in items))
    for line in OTHER.split("\n")[18:]:
        text = line.strip().lstrip("#").strip().strip("*")
        if not text or text == "Side 2 af 5" or text.startswith(("Sagsnummer", "Punkt ")):
            continue
        if text in ("Bilag", "Beslutninger Teknik- og Miljøudvalget den 12-05-2025"):
            continue
        assert _normal(text.lstrip("- ")) in written, text
    # Validation finds the configuration above the meeting folder on its own.
    assert check([out]).diagnostics == []


def test_other_organisation_config_is_found_above_the_output(tmp_path: Path) -> None:
    source, _, out = _other(tmp_path)
    result = invoke("import", source, "-o", out)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "## Beslutninger" in (out / "01-trafiksikkerhedsplan-2025.md").read_text("utf-8")


def test_other_organisation_without_its_config_keeps_text_and_fails(tmp_path: Path) -> None:
    source = tmp_path / "tmu.md"
    source.write_text(OTHER, encoding="utf-8")
    out = tmp_path / "plain" / "2025-05-12"
    result = invoke("import", source, "-o", out)
    assert result.exit_code == 1
    assert "does not match ^\\d{2}/\\d{1,6}$" in result.stderr
    assert "error[RF111]" in result.stdout
    written = "\n".join(p.read_text(encoding="utf-8") for p in out.glob("*.md"))
    assert "Udvalget godkendte planen." in written
    assert "### Beslutninger" in written


# --- noise ---------------------------------------------------------------------------------


NOISY = """\
Høje-Taastrup Kommune

# REFERAT Direktionen d. 01-03-2021

**Mødedato** Mandag d. 01. marts 2021 kl. 09:30

**Mødeleder** Lars Holte

## Punkt 1: Øvrige sager

20/23083

Indledende bemærkning uden afsnit.

## Baggrund

Tekst.

## Beslutning

Godkendt.

## Bilag

Notat om sagen

### Efterskrift

Tekst efter bilag.

## Punkt 2: Anden sag

20/2

```
## Punkt 9: ikke et punkt, men kode
```

## Baggrund

Mere.

## Beslutning

Taget til efterretning.

## Baggrund

Endnu mere baggrund.
"""


def test_text_that_cannot_be_placed_is_reported_and_kept(tmp_path: Path) -> None:
    source = tmp_path / "noisy.md"
    source.write_text(NOISY, encoding="utf-8")
    out = tmp_path / "out" / "2021-03-01"
    result = invoke("import", source, "-o", out)
    assert result.exit_code == 0, result.stdout + result.stderr
    warnings = [row for row in result.stderr.splitlines() if ": warning: " in row]
    assert [row.split(": warning: ")[0] for row in warnings] == [
        f"{source}:1",  # organisation name above the title
        f"{source}:7",  # a label the meeting block does not have
        f"{source}:13",  # text before the first section
        f"{source}:27",  # a heading after the attachments
        f"{source}:35",  # fenced code before the first section
        f"{source}:47",  # a section twice
    ]
    assert (
        '"Høje-Taastrup Kommune" kept at the start of section "Baggrund" of Punkt 1'
        in (warnings[0])
    )
    first = (out / "01-oevrige-sager.md").read_text(encoding="utf-8")
    assert first.split("## Baggrund\n")[1].startswith(
        "\nHøje-Taastrup Kommune\n\n**Mødeleder** Lars Holte\n\n"
        "Indledende bemærkning uden afsnit.\n\nTekst.\n"
    )
    assert "### Efterskrift\n\nTekst efter bilag." in first
    assert _front(out / "01-oevrige-sager.md")["attachments"] == ["Notat om sagen"]
    second = (out / "02-anden-sag.md").read_text(encoding="utf-8")
    assert "## Punkt 9: ikke et punkt, men kode" in second  # inside fenced code
    assert "### Baggrund\n\nEndnu mere baggrund." in second  # a second Baggrund, merged
    assert len(list(out.glob("*.md"))) == 2


def test_heading_levels_bold_and_lone_section_names() -> None:
    text = (
        "# REFERAT Direktionen d. 01-03-2021\n\n"
        "**Punkt 1: Sag i fed**\n\n20/1\n\n"
        "Baggrund\n\nTekst.\n\n"
        "###### __Beslutning Direktionen den 01-03-2021__\n\nGodkendt.\n\n"
        "# Et afsnit\n\nMere.\n"
    )
    result = import_text(text)
    (item,) = result.items
    assert item.title == "Sag i fed"
    assert item.case == "20/1"
    assert [s.spec.key for s in item.sections] == ["background", "decision"]
    assert item.sections[1].markdown == "Godkendt.\n\n### Et afsnit\n\nMere.\n"


def test_meeting_block_as_a_table_with_a_list_of_names() -> None:
    text = (
        "## DAGSORDEN Socialudvalget\n\n"
        "| **Mødedato** | Mandag den 15. marts 2021, kl. 16.00 |\n"
        "|---|---|\n"
        "| **Mødested** | Mødelokale 1 |\n\n"
        "**Mødedeltagere:**\n\n- Anna Bech\n- Bo Dahl, formand\n\n"
        "**Afbud:** Ingen\n\n"
        "## Punkt 1: Sag\n\n21/1\n\n## Baggrund\n\nTekst.\n"
    )
    result = import_text(text)
    meeting = result.meeting
    assert meeting.body == "Socialudvalget"
    assert meeting.date == dt.date(2021, 3, 15)
    assert meeting.time == dt.time(16, 0)
    assert meeting.location == "Mødelokale 1"
    assert meeting.participants == ("Anna Bech", "Bo Dahl, formand")
    assert meeting.absent == ()
    assert meeting.phase == "agenda"
    assert [n for n in result.notes if n.level != "note"] == []


def test_english_minutes() -> None:
    text = (
        "# MINUTES Finance Committee, 12 May 2025\n\n"
        "**Date** Monday 12 May 2025, 16:00\n\n"
        "## Item 1: Budget\n\nCase no. 25/100\n\n"
        "### Background\n\nText.\n\n### Decision Finance Committee, 12 May 2025\n\nApproved.\n"
    )
    result = import_text(text)
    assert result.meeting.language == "en"
    assert result.meeting.body == "Finance Committee"
    assert result.meeting.date == dt.date(2025, 5, 12)
    assert result.meeting.time == dt.time(16, 0)
    (item,) = result.items
    assert (item.title, item.case) == ("Budget", "25/100")
    assert [s.spec.heading for s in item.sections] == ["Background", "Decision"]


def test_wrong_weekday_and_missing_date_are_reported() -> None:
    result = import_text(
        "# REFERAT Direktionen\n\n**Mødedato** Tirsdag\n\n## Punkt 1: Sag\n\n20/1\n\n"
        "## Baggrund\n\nTekst.\n\n## Beslutning\n\nGodkendt.\n"
    )
    assert result.meeting.date is None
    assert any("no date found" in n.message and n.line == 3 for n in result.notes)
    assert any("no meeting date found" in n.message for n in result.notes)
    assert "date" not in result.meeting.data()
    result = import_text("# REFERAT Direktionen\n\n**Mødedato** Tirsdag d. 01. marts 2021\n")
    assert any('"Tirsdag" does not match the date 2021-03-01' in n.message for n in result.notes)


def test_agenda_with_decisions_is_imported_as_minutes() -> None:
    body = "## Punkt 1: Sag\n\n20/1\n\n## Baggrund\n\nTekst.\n\n## Beslutning\n\n{decision}"
    agenda = import_text("# DAGSORDEN Direktionen d. 01-03-2021\n\n" + body.format(decision=""))
    assert agenda.meeting.phase == "agenda"
    assert [s.spec.key for s in agenda.items[0].sections] == ["background"]
    decided = import_text(
        "# DAGSORDEN Direktionen d. 01-03-2021\n\n" + body.format(decision="Godkendt.\n")
    )
    assert decided.meeting.phase == "minutes"
    assert any("imported as minutes" in n.message for n in decided.notes)


def test_closed_item_markers_and_text_before_sections_in_a_new_section() -> None:
    config = Config(sections=(SectionSpec("summary", "Resume", required=True),))
    result = import_text(
        "# REFERAT Udvalget d. 01-03-2021\n\n"
        "## Punkt 1: Personalesag (lukket punkt)\n\n20/1\n\n"
        "## Punkt 2: Sag uden afsnit\n\n20/2\n\nKun tekst.\n",
        config,
    )
    closed, plain = result.items
    assert closed.closed and closed.title == "Personalesag"
    assert [s.spec.key for s in plain.sections] == ["summary"]
    assert plain.sections[0].markdown == "Kun tekst.\n"


def test_toc_entries_that_do_not_match_the_items_are_reported() -> None:
    result = import_text(
        "# REFERAT Direktionen d. 01-03-2021\n\n## Indholdsfortegnelse\n\n"
        "Første.....3\nAnden.....4\n\n## Punkt 1: Første\n\n20/1\n\n## Baggrund\n\nTekst.\n"
    )
    assert any(
        n.level == "warning" and "lists 2 entries, but 1 item headings" in n.message
        for n in result.notes
    )


def test_inline_labels_and_a_bilag_line_with_a_colon() -> None:
    result = import_text(
        "# REFERAT Direktionen d. 01-03-2021\n\n## Punkt 1: Sag\n\n"
        "Sagsnr.: 20/1 Dok.nr.: 2021-555\n\n"
        "**Baggrund:** Sagen handler om budget.\n\nMere baggrund.\n\n"
        "Beslutning: Godkendt.\n\nBilag:\n- Notat\n- Skema\n"
    )
    (item,) = result.items
    assert item.case == "20/1"
    assert [(s.spec.key, s.markdown) for s in item.sections] == [
        ("background", "Dok.nr.: 2021-555\n\nSagen handler om budget.\n\nMere baggrund.\n"),
        ("decision", "Godkendt.\n"),
    ]
    assert [a.title for a in item.attachments] == ["Notat", "Skema"]


def test_words_the_meeting_block_does_not_use_are_reported() -> None:
    result = import_text(
        "# REFERAT Direktionen d. 01-03-2021 (revideret)\n\n"
        "**Mødedato** Mandag d. 01. marts 2021 kl. 09:30 via Teams\n\n"
        "**Mødested** Teams\n\n**Mødested** Rådhuset\n\n"
        "## Punkt 1: Sag\n\n20/1\n\n## Baggrund\n\nTekst.\n"
    )
    assert [(n.line, n.message) for n in result.notes if n.level == "warning"] == [
        (1, '"revideret" in the title line is not used'),
        (3, '"via Teams" in the meeting date is not used'),
        (7, '"Rådhuset" replaces "Teams" as the meeting\'s location'),
    ]


def test_a_decision_of_another_body_keeps_its_heading() -> None:
    result = import_text(
        "# REFERAT Byrådet d. 27-03-2025\n\n## Punkt 1: Budget\n\n20/1\n\n"
        "## Baggrund\n\nTekst.\n\n"
        "## Beslutning i Økonomiudvalget den 18-03-2025\n\nAnbefales.\n\n"
        "## Beslutning Byrådet den 27-03-2025\n\nGodkendt.\n"
    )
    decision = result.items[0].sections[1]
    assert decision.markdown == (
        "### Beslutning i Økonomiudvalget den 18-03-2025\n\nAnbefales.\n\n"
        "### Beslutning Byrådet den 27-03-2025\n\nGodkendt.\n"
    )


def test_numbered_items_and_the_body_under_a_bare_title() -> None:
    config = Config(
        case_pattern=re.compile(r"^\d{2}\.\d{2}\.\d{2}-[A-Z]\d{2}-\d+-\d{2}$"),
        sections=(
            SectionSpec("presentation", "Sagsfremstilling"),
            SectionSpec("decision", "Beslutning", required=True, minutes_only=True),
        ),
    )
    result = import_text(
        "# Referat\n\n## Økonomiudvalget\n\n"
        "Dato: 18.03.2025 kl. 15:00 - 16:30\n\nSted: Byrådssalen\n\n"
        "Medlemmer: Anne Hansen, Peter Jensen\n\nFraværende: Ingen\n\n"
        "## 1. Godkendelse af dagsorden\n\nSagsnr.: 00.01.00-A00-1-25\n\n"
        "### Beslutning\n\nGodkendt.\n\n"
        "## 2. Eventuelt\n\nSagsnr.: 00.01.00-A00-2-25\n\n### Beslutning\n\nIntet.\n",
        config,
    )
    meeting = result.meeting
    assert (meeting.body, meeting.date, meeting.time, meeting.end) == (
        "Økonomiudvalget",
        dt.date(2025, 3, 18),
        dt.time(15, 0),
        dt.time(16, 30),
    )
    assert (meeting.location, meeting.participants, meeting.absent) == (
        "Byrådssalen",
        ("Anne Hansen", "Peter Jensen"),
        (),
    )
    assert [(i.number, i.title, i.case) for i in result.items] == [
        (1, "Godkendelse af dagsorden", "00.01.00-A00-1-25"),
        (2, "Eventuelt", "00.01.00-A00-2-25"),
    ]
    assert result.notes == ()


_WORDS = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøå", min_size=1, max_size=12),
    min_size=1,
    max_size=12,
).map(lambda words: "Tekst " + " ".join(words))
_HEADING_STYLES = ("## {}", "### {}", "#### **{}**", "**{}**", "{}", "# {}")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            _WORDS,
            st.lists(
                st.tuples(
                    st.sampled_from(["Baggrund", "Indstilling", "Beslutning", "Sagsfremstilling"]),
                    st.sampled_from(_HEADING_STYLES),
                    st.lists(_WORDS, min_size=1, max_size=4),
                    st.booleans(),
                ),
                max_size=5,
            ),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_no_text_is_lost(items: list[tuple[str, list[tuple[str, str, list[str], bool]]]]) -> None:
    parts = ["# REFERAT Direktionen d. 01-03-2021", "**Mødedato** Mandag d. 01. marts 2021"]
    paragraphs: list[str] = []
    for number, (title, sections) in enumerate(items, 1):
        parts += [f"## Punkt {number}: {title}", f"20/{number}"]
        for heading, style, texts, sub in sections:
            parts.append(style.format(heading))
            if sub:
                parts.append("### Tekst underafsnit")
            parts += texts
            paragraphs += texts
    result = import_text("\n\n".join(parts) + "\n")
    assert [item.title for item in result.items] == [title for title, _ in items]
    written = _normal("\n".join(result.files().values()))
    assert [p for p in paragraphs if _normal(p) not in written] == []


# --- round trip ----------------------------------------------------------------------------


@pytest.mark.parametrize("edition", ["internal", "public"])
def test_a_built_referat_imports_back_to_its_sources(tmp_path: Path, edition: str) -> None:
    meeting = EXAMPLES / "direktionen" / "2021-03-01"
    build = tmp_path / "build"
    assert invoke("build", meeting, "-o", build, "-f", "md", "--edition", edition).exit_code == 0
    out = tmp_path / "imported" / "2021-03-01"
    result = invoke("import", build / "2021-03-01" / "referat.md", "-o", out)
    assert result.exit_code == 0, result.stdout + result.stderr
    (original,) = check([meeting]).meetings
    (again,) = check([out]).meetings
    assert [(i.title, i.case, i.closed) for i in again.items][:5] == [
        (i.title, i.case, i.closed) for i in original.items
    ][:5]
    for before, after in zip(original.items[:5], again.items[:5], strict=True):
        assert [(s.spec.key, s.markdown.strip()) for s in after.sections] == [
            (s.spec.key, s.markdown.strip()) for s in before.sections
        ]
        assert [a.title for a in after.attachments] == [a.title for a in before.attachments]
    assert (again.body, again.date, again.time, again.location, again.participants) == (
        original.body,
        original.date,
        original.time,
        original.location,
        original.participants,
    )
    closed = again.items[5]
    assert closed.closed
    if edition == "public":
        assert closed.title == "Lukket"
        assert closed.public_summary == original.items[5].public_summary
        assert closed.sections == ()
    else:
        assert closed.sections == original.items[5].sections


def test_linked_attachments_beside_the_file_are_copied(tmp_path: Path) -> None:
    source = ROOT / "tests" / "cases" / "other-organisation" / "src"
    build = tmp_path / "build"
    assert invoke("build", source, "-o", build, "-f", "md", "--edition", "internal").exit_code == 0
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copyfile(source / "referat.yaml", repo / "referat.yaml")
    out = repo / "byraadet" / "2025-03-27"
    referat_md = build / "byraadet" / "2025-03-27" / "referat.md"
    result = invoke("import", referat_md, "-o", out)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert sorted(p.name for p in (out / "bilag").iterdir()) == [
        "budgetnotat.pdf",
        "koebstilbud.pdf",
        "loen.xlsx",
    ]
    assert _front(out / "01-budgetopfoelgning-pr-28-februar-2025.md")["attachments"] == [
        {"title": "Budgetnotat februar 2025", "file": "bilag/budgetnotat.pdf"},
        {"title": "Intern regneark med lønoplysninger", "file": "bilag/loen.xlsx"},
    ]
    # A link to a file that is not there keeps the title, with a warning.
    lonely = tmp_path / "lonely.md"
    lonely.write_text(
        referat_md.read_text(encoding="utf-8").replace("bilag/loen.xlsx", "bilag/mangler.xlsx"),
        encoding="utf-8",
    )
    result = invoke("import", lonely, "-o", repo / "byraadet" / "kopi")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert 'attachment file "bilag/mangler.xlsx" is not beside the imported file' in result.stderr


# --- the command ---------------------------------------------------------------------------


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("import", tmp_path / "nope.md", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert not (tmp_path / "out").exists()


def test_output_folder_that_is_not_empty_is_refused(seed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    before = tree_digest(tmp_path)
    result = invoke("import", seed, "-o", out)
    assert result.exit_code == 2
    assert "is not empty" in result.stderr
    assert tree_digest(tmp_path) == before


def test_empty_output_folder_is_used(seed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert invoke("import", seed, "-o", out).exit_code == 0
    assert (out / "meeting.yaml").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_input_file_is_never_changed(seed: Path, tmp_path: Path) -> None:
    before = seed.read_bytes()
    assert invoke("import", seed, "-o", tmp_path / "out").exit_code == 0
    assert seed.read_bytes() == before


def test_input_that_is_not_utf8_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "latin1.md"
    source.write_bytes("# REFERAT Direktionen\n\n## Punkt 1: Øvrige\n".encode("latin-1"))
    result = invoke("import", source, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert f"{source}:3:13: error: byte 0xd8 at offset 35 is not valid UTF-8" in result.stderr
    assert "nothing was written" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latin1.md"]


def test_input_without_items_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "empty.md"
    source.write_text("# REFERAT Direktionen d. 01-03-2021\n\nIngen punkter.\n", encoding="utf-8")
    result = invoke("import", source, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "error: no item headings found" in result.stderr
    assert not (tmp_path / "out").exists()


def test_configuration_with_errors_writes_nothing(seed: Path, tmp_path: Path) -> None:
    config = tmp_path / "referat.yaml"
    config.write_text("case_pattern: '^(\\d'\n", encoding="utf-8")
    result = invoke("import", seed, "-o", tmp_path / "out", "--config", config)
    assert result.exit_code == 1
    assert "error[RF116]" in result.stderr
    assert not (tmp_path / "out").exists()


def test_incomplete_input_is_written_and_fails_validation(tmp_path: Path) -> None:
    source = tmp_path / "udkast.md"
    source.write_text("# Direktionen\n\n## Punkt 1: Sag\n\n## Baggrund\n\nTekst.\n", "utf-8")
    out = tmp_path / "out"
    result = invoke("import", source, "-o", out)
    assert result.exit_code == 1
    assert "no meeting date found" in result.stderr
    assert "Punkt 1 has no case number" in result.stderr
    assert "error[RF106]" in result.stdout  # no date, no case number
    assert (out / "meeting.yaml").is_file()
    assert "Tekst." in (out / "01-sag.md").read_text(encoding="utf-8")
