"""Reading an existing referat or dagsorden in Markdown into the data of a meeting folder.

Converters from PDF and Word give Markdown that is only roughly shaped: item and section
headings at any level and sometimes in bold, a table of contents with dot leaders and page
numbers, names wrapped across lines, stray characters, paragraphs split by page breaks.
:func:`import_text` reads such text into the meeting's data, its items (front matter and
sections) and a list of notes with line numbers. It drops no text without a note saying
so, and writes nothing: ``referat import`` writes the sources with :mod:`referat.sources`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Literal, NamedTuple

from babel.dates import get_day_names, get_month_names

from .config import Config, Language, SectionSpec
from .load import decode_utf8
from .model import Phase
from .parse import ATX_HEADING, closes_fence, fence_opened
from .sources import item_file_name, item_text, meeting_text

NoteLevel = Literal["error", "warning", "note"]

# CommonMark ATX headings, as in parse.py: up to three spaces, 1-6 '#', then the text.
_BOLD_LINE = re.compile(r"\s*(\*\*|__)(?=\S)(.+?)(?<=\S)\1\s*:?\s*")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
_SPACES = re.compile(r"\s+")
#: Lines that start a Markdown block other than a paragraph.
_BLOCK_START = re.compile(r"\s*(?:[-*+][ \t]|\d{1,9}[.)][ \t]|#|>|\||<|```|~~~)|    |\t")
_LIST_MARKER = re.compile(r"\s*(?:[-*+]|\d{1,9}[.)])[ \t]+")
_TABLE_RULE = re.compile(r"\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*")
_LINK = re.compile(r"\[(.+?)\]\(\s*<?([^)<>\s]+)>?\s*\)")

_ITEM = re.compile(
    r"(punkt|pkt\.?|dagsordenspunkt|item)\s+(\d{1,4})(?:\s*[:.,)–—-]\s*|\s+|$)(.*)", re.IGNORECASE
)
_NUMBERED = re.compile(r"(\d{1,3})\s*[.):]\s+(\S.*)")
_CLOSED_TITLE = re.compile(r"(?:lukket(?:\s+punkt)?|closed(?:\s+item)?)(?:\s*[:–—-]\s*(.*))?", re.I)
_CLOSED_SUFFIX = re.compile(r"(.+?)\s*\((?:lukket(?:\s+punkt)?|closed(?:\s+item)?)\)", re.I)
_CLOSED_MARKERS = frozenset({"lukket punkt", "closed item"})
_ADDENDUM_MARKERS = frozenset({"tillægsdagsorden", "supplementary item"})
_SUMMARY = re.compile(r"\*\*(?:offentliggøres som|published as):?\*\*:?\s*(\S.*)", re.I)
#: A paragraph opening with a label and a colon: ``**Beslutning:** Godkendt.``.
_INLINE_LABEL = re.compile(r"(\*\*|__)?([^\W\d][\w -]{0,40}?)(\*\*|__)?:(\*\*|__)?\s+(\S.*)")
_CASE_LABEL = re.compile(
    r"(?:\*\*|__)?\s*(?:sagsnummer|sagsnr\.?|sags\s+nr\.?|j\.\s?nr\.?|journalnr\.?|"
    r"case\s+no\.?|case\s+number)\s*[:.]?\s*(?:\*\*|__)?\s*[:.]?\s*(\S.*?)\s*",
    re.IGNORECASE,
)

_TITLE = re.compile(
    r"(referat|dagsorden|tillægsdagsorden|beslutningsprotokol|protokol|minutes|agenda)\b"
    r"[\s:–—-]*(.*)",
    re.IGNORECASE,
)
_AGENDA_WORDS = frozenset({"dagsorden", "tillægsdagsorden", "agenda"})
_ENGLISH_WORDS = frozenset({"minutes", "agenda", "item"})
_TOC_HEADINGS = frozenset(
    {"indholdsfortegnelse", "indhold", "table of contents", "contents", "dagsordenspunkter"}
)
_ATTACHMENT_HEADINGS = frozenset({"bilag", "bilagsfortegnelse", "attachments", "appendices"})
_INTERNAL_BANNER = re.compile(r">?\s*\**\s*(intern udgave|internal edition)\b.*", re.I)
#: A table-of-contents line: text, dot leaders (or a tab, or spaces), a page number.
_TRAILING_NUMBER = re.compile(r"\d{1,4}\s*$")


def _split_page_number(text: str) -> tuple[str, str] | None:
    """``text`` without its trailing page number (and the space before it), if it ends in one.

    Table-of-contents lines are recognised by plain string tests from the end: regular
    expressions with two lazy wildcards took time quadratic in a long line.
    """
    match = _TRAILING_NUMBER.search(text)
    if match is None:
        return None
    head = text[: match.start()]
    return head, head.rstrip(" \t")


def _is_dot_leader(text: str) -> bool:
    """ "Øvrige sager..... 3": text, a leader of dots or an ellipsis, a page number."""
    split = _split_page_number(text)
    if split is None:
        return False
    head = split[1]
    leader = head.endswith(("...", "…")) or re.search(r"\. ?\. ?\.$", head[-6:]) is not None
    return leader and head.rstrip(". …").strip() != ""


def _is_toc_entry(text: str) -> bool:
    """Like :func:`_is_dot_leader`, but two dots, a tab or a space also separate the number."""
    split = _split_page_number(text)
    if split is None:
        return False
    raw, head = split
    separated = raw != head or head.endswith(("..", "…"))
    return separated and head.rstrip(". …\t").strip() != ""


_BODY_WORDS = re.compile(
    r"\S*(?:udvalg|udvalget|råd|rådet|direktion|direktionen|ledelse|ledelsen|bestyrelse|"
    r"bestyrelsen|forum|committee|council|board)\b",
    re.IGNORECASE,
)
_TITLE_PREFIX = re.compile(
    r"(?:fra|for|til|af|of|from|the|det|ordinære|ekstraordinære|møde|mødet|meeting|i|in)\b\s*",
    re.IGNORECASE,
)
_TITLE_SUFFIX = re.compile(r"[\s,:;–—-]*(?:\b(?:d\.|den|the|on|kl\.?))?[\s,:;–—-]*$", re.I)
#: A page header or footer left in the text by a PDF converter: "Side 3 af 15".
_PAGE_MARK = re.compile(r"(?:side|page)\s+\d{1,4}(?:\s*(?:af|of|/)\s*\d{1,4})?", re.I)
_FILLER = re.compile(r"\b(?:d|den|kl|klokken|at|the|on|fra|til|from|to)\b\.?", re.I)
_NONE_WORDS = frozenset({"ingen", "none", "-", "–", "intet"})

Field = Literal["body", "date", "time", "location", "participants", "absent"]
#: Meeting-block labels, and whether they count without bold or a colon ("Mødested Teams").
_LABELS: tuple[tuple[str, Field, bool], ...] = (
    ("mødedeltagere", "participants", True),
    ("deltagere", "participants", False),
    ("til stede", "participants", False),
    ("fremmødte", "participants", False),
    ("medlemmer", "participants", False),
    ("participants", "participants", False),
    ("present", "participants", False),
    ("attendees", "participants", False),
    ("afbud", "absent", True),
    ("fraværende", "absent", False),
    ("absent", "absent", False),
    ("apologies", "absent", False),
    ("mødedato", "date", True),
    ("dato", "date", False),
    ("meeting date", "date", False),
    ("date", "date", False),
    ("mødetidspunkt", "time", True),
    ("mødetid", "time", True),
    ("tidspunkt", "time", False),
    ("time", "time", False),
    ("mødested", "location", True),
    ("mødelokale", "location", True),
    ("sted", "location", False),
    ("location", "location", False),
    ("venue", "location", False),
    ("place", "location", False),
    ("mødeforum", "body", True),
    ("udvalg", "body", False),
    ("body", "body", False),
    ("committee", "body", False),
)
_LABEL = re.compile(
    r"(\*\*|__)?\s*("
    + "|".join(re.escape(label) for label, _, _ in sorted(_LABELS, key=lambda x: -len(x[0])))
    + r")\s*(:)?\s*(\*\*|__)?\s*(:)?(?=\s|$)\s*(.*)",
    re.IGNORECASE,
)
_LABEL_FIELDS = {label: (name, plain) for label, name, plain in _LABELS}


@dataclass(frozen=True)
class Note:
    """What the import did that a user should know: text it moved, left out or could not place."""

    line: int
    """1-based line in the imported file."""
    level: NoteLevel
    """``error``: the import cannot go on; ``warning``: check this; ``note``: for the record."""
    message: str
    """What happened, in one line."""


@dataclass(frozen=True)
class ImportedAttachment:
    """An attachment named under an item's "Bilag"."""

    title: str
    """What it is called."""
    file: str | None
    """The file a link pointed to (relative), or None for a title only."""
    line: int
    """1-based line in the imported file."""


@dataclass(frozen=True)
class ImportedSection:
    """One configured section of an imported item."""

    spec: SectionSpec
    """The configured section it is."""
    markdown: str
    """Its Markdown, without the heading line."""
    line: int
    """1-based line of its heading in the imported file."""


@dataclass(frozen=True)
class ImportedItem:
    """One item of the imported document: its front matter and sections."""

    number: int
    """Number from the heading ("Punkt 4: ..."); the file is named by it."""
    title: str
    """The item's title."""
    line: int
    """1-based line of the item heading in the imported file."""
    case: str | None = None
    """Case number, where one was found."""
    closed: bool = False
    """Closed item ("Punkt 6: Lukket")."""
    public_summary: str | None = None
    """The public text of a closed item, where the document gives one."""
    addendum: bool = False
    """Marked as added after the agenda was sent out."""
    sections: tuple[ImportedSection, ...] = ()
    """Sections with text, in configured order."""
    attachments: tuple[ImportedAttachment, ...] = ()
    """Attachments, in the order listed."""

    @property
    def file_name(self) -> str:
        """``NN-slug.md``."""
        return item_file_name(self.number, self.title)

    def front_matter(self) -> dict[str, object]:
        """The item's front matter as data, without defaults."""
        front: dict[str, object] = {"title": self.title}
        if self.case is not None:
            front["case"] = self.case
        if self.closed:
            front["closed"] = True
        if self.public_summary is not None:
            front["public_summary"] = self.public_summary
        if self.addendum:
            front["addendum"] = True
        if self.attachments:
            front["attachments"] = [
                {"title": a.title, "file": a.file} if a.file else a.title for a in self.attachments
            ]
        return front

    def text(self) -> str:
        """The item file's text."""
        return item_text(self.front_matter(), [(s.spec.heading, s.markdown) for s in self.sections])


@dataclass(frozen=True)
class ImportedMeeting:
    """What the document says of the meeting: the data of ``meeting.yaml``."""

    body: str | None = None
    date: dt.date | None = None
    time: dt.time | None = None
    end: dt.time | None = None
    location: str | None = None
    participants: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    phase: Phase = "minutes"
    language: Language | None = None
    """Set only where the document's language differs from the configuration's."""

    def data(self) -> dict[str, object]:
        """The keys of ``meeting.yaml`` that are known."""
        data: dict[str, object] = {}
        if self.body:
            data["body"] = self.body
        if self.date:
            data["date"] = self.date
        if self.time:
            data["time"] = self.time
        if self.end:
            data["end"] = self.end
        if self.location:
            data["location"] = self.location
        if self.participants:
            data["participants"] = list(self.participants)
        if self.absent:
            data["absent"] = list(self.absent)
        data["phase"] = self.phase
        if self.language:
            data["language"] = self.language
        return data

    def text(self) -> str:
        """The text of ``meeting.yaml``."""
        return meeting_text(self.data())


@dataclass(frozen=True)
class Imported:
    """The result of an import: the meeting, its items and everything worth reporting."""

    meeting: ImportedMeeting
    items: tuple[ImportedItem, ...]
    notes: tuple[Note, ...]
    """By line."""

    def files(self) -> dict[str, str]:
        """The text of every source file, by file name: ``meeting.yaml`` and ``NN-slug.md``."""
        out = {"meeting.yaml": self.meeting.text()}
        for item in self.items:
            out[item.file_name] = item.text()
        return out


def decode(data: bytes) -> str:
    """The text of an input file: UTF-8 (a BOM is dropped), lines ending in ``\\n``; raises
    :class:`~referat.load.NotText` where it is not UTF-8 text."""
    return decode_utf8(data).removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


# --- reading the text ---------------------------------------------------------------------


class _Line(NamedTuple):
    """A line of body text on its way into a section, with where it came from."""

    number: int
    """1-based line in the input."""
    text: str
    fenced: bool = False
    """Inside fenced code: never joined or reinterpreted."""


@dataclass
class _Source:
    """The input's lines, with the fenced-code lines and ATX headings marked."""

    lines: list[str]
    fenced: list[bool]
    headings: list[tuple[int, str] | None]

    @classmethod
    def of(cls, text: str) -> _Source:
        lines = text.split("\n")
        fenced: list[bool] = []
        headings: list[tuple[int, str] | None] = []
        fence: str | None = None
        for line in lines:
            if fence is not None:
                fenced.append(True)
                headings.append(None)
                if closes_fence(line, fence):
                    fence = None
                continue
            fence = fence_opened(line)
            if fence is not None:
                fenced.append(True)
                headings.append(None)
                continue
            fenced.append(False)
            match = ATX_HEADING.fullmatch(line)
            headings.append((len(match[1]), (match[2] or "").strip()) if match else None)
        return cls(lines, fenced, headings)

    def blank(self, index: int) -> bool:
        """Whether line ``index`` (0-based) is blank; lines outside the text count as blank."""
        return not (0 <= index < len(self.lines)) or not self.lines[index].strip()

    def bold_line(self, index: int) -> str | None:
        """The text of a line that is nothing but bold text (``**Punkt 4: ...**``)."""
        if self.fenced[index] or self.headings[index] is not None:
            return None
        match = _BOLD_LINE.fullmatch(self.lines[index])
        if match is None or match[1] in match[2]:
            return None
        return match[2]

    def lone(self, index: int) -> bool:
        """Whether line ``index`` is a paragraph of one line (blank lines around it)."""
        text = self.lines[index]
        return (
            not self.fenced[index]
            and self.headings[index] is None
            and bool(text.strip())
            and self.blank(index - 1)
            and self.blank(index + 1)
            and not _BLOCK_START.match(text)
            and len(text.strip()) <= 120
        )

    def next_filled(self, start: int, end: int) -> int | None:
        """The first line at or after ``start`` and before ``end`` that is not blank."""
        for index in range(start, end):
            if not self.blank(index):
                return index
        return None


def _plain(text: str, colon: bool = False) -> str:
    """Heading or label text without emphasis markers, extra spaces and (unless ``colon``)
    a trailing colon."""
    strip = " " if colon else " :"
    text = _SPACES.sub(" ", text).strip(strip)
    while True:
        match = _EMPHASIS.fullmatch(text)
        if match is None or match[1] in match[2]:
            break
        text = match[2].strip(strip)
    return text


def _excerpt(text: str, limit: int = 50) -> str:
    text = _SPACES.sub(" ", text).strip()
    return '"' + (text if len(text) <= limit else text[: limit - 1] + "…") + '"'


@cache
def _months() -> dict[str, int]:
    """Month names, full and abbreviated, in Danish and English, from Babel's locale data."""
    names: dict[str, int] = {}
    for locale in ("da", "en"):
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale).items():
                    names[str(name).casefold().rstrip(".")] = int(number)
    return names


@cache
def _weekdays() -> dict[str, int]:
    """Weekday names (Monday is 0) in Danish and English, from Babel's locale data."""
    names: dict[str, int] = {}
    for locale in ("da", "en"):
        for number, name in get_day_names("wide", "format", locale).items():
            names[str(name).casefold()] = int(number)
    return names


@cache
def _date_patterns() -> tuple[re.Pattern[str], ...]:
    month = "|".join(re.escape(m) for m in sorted(_months(), key=len, reverse=True))
    return (
        re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"),
        re.compile(r"(?<![\d.])(\d{1,2})[-./](\d{1,2})[-./](\d{4})(?!\d)"),
        re.compile(rf"(?<!\d)(\d{{1,2}})\.?\s*(?:de\s+)?({month})\.?,?\s+(\d{{4}})(?!\d)", re.I),
        re.compile(rf"\b({month})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)", re.I),
    )


_TIME = re.compile(
    r"(?:\bkl\.?|\bklokken|\bat)?\s*(?<![\d.:])(\d{1,2})[:.](\d{2})(?![\d.:]\d)"
    r"(?:\s*(?:-|–|—|til|to)\s*(?:kl\.?\s*)?(\d{1,2})[:.](\d{2}))?",
    re.IGNORECASE,
)


def _find_date(text: str) -> tuple[dt.date, re.Match[str]] | None:
    """The first date written in ``text`` (numeric, ISO, or with a month name)."""
    found: list[tuple[int, dt.date, re.Match[str]]] = []
    for kind, pattern in enumerate(_date_patterns()):
        for match in pattern.finditer(text):
            if kind == 0:
                year, month, day = int(match[1]), int(match[2]), int(match[3])
            elif kind == 1:
                day, month, year = int(match[1]), int(match[2]), int(match[3])
            elif kind == 2:
                day, month, year = int(match[1]), _months()[match[2].casefold()], int(match[3])
            else:
                month, day, year = _months()[match[1].casefold()], int(match[2]), int(match[3])
            try:
                found.append((match.start(), dt.date(year, month, day), match))
            except ValueError:
                continue
            break
    if not found:
        return None
    _, date, match = min(found, key=lambda f: f[0])
    return date, match


def _find_time(text: str) -> tuple[dt.time, dt.time | None, re.Match[str]] | None:
    """The first time of day in ``text`` ("kl. 09:30", "15.00-17.30"), with its end if given."""
    for match in _TIME.finditer(text):
        hour, minute = int(match[1]), int(match[2])
        if hour > 23 or minute > 59:
            continue
        end = None
        if match[3] is not None and int(match[3]) <= 23 and int(match[4]) <= 59:
            end = dt.time(int(match[3]), int(match[4]))
        return dt.time(hour, minute), end, match
    return None


def _unused(text: str) -> str | None:
    """What is left of ``text`` that says more than a weekday and filler words, if anything."""
    words = [
        word
        for word in re.findall(r"\S+", _FILLER.sub(" ", text))
        if word.strip(",.;:()–-").casefold() not in _weekdays()
    ]
    rest = " ".join(words).strip(" ,.;:()–-")
    return rest if re.search(r"[^\W_]", rest) else None


def _has_date(text: str) -> bool:
    return _find_date(text) is not None


# --- the whole document -------------------------------------------------------------------


@dataclass
class _Head:
    """An item heading found in the text."""

    index: int
    """0-based line of the heading."""
    number: int
    title: str
    english: bool | None
    """Whether the heading word is English ("Item"); None where there is no word."""


@dataclass
class _Notes:
    notes: list[Note] = field(default_factory=list)

    def add(self, line: int, level: NoteLevel, message: str) -> None:
        self.notes.append(Note(line, level, message))


def import_text(text: str, config: Config | None = None) -> Imported:
    """Read a referat or dagsorden in Markdown into a meeting and its items.

    Section headings and the case pattern come from ``config`` (the defaults where None).
    Every line of text ends up in the meeting data, in an item, or in a note that says
    what became of it.
    """
    config = config or Config()
    source = _Source.of(text)
    notes = _Notes()
    toc_lines = _toc_regions(source)
    heads = _find_items(source, toc_lines)
    first = heads[0].index if heads else len(source.lines)
    header = _read_header(source, first, notes)
    english = header.english if header.english is not None else heads[0].english if heads else None
    language: Language = config.language if english is None else "en" if english else "da"
    specs = config.sections_for(language)
    if not heads:
        notes.add(
            1,
            "error",
            'no item headings found (such as "## Punkt 1: Title" or "**Item 1: Title**")',
        )
        return Imported(_meeting(header, config, language), (), tuple(notes.notes))
    if header.toc_entries and header.toc_entries != len(heads):
        notes.add(
            header.toc_line,
            "warning",
            f"the table of contents lists {header.toc_entries} entries, "
            f"but {len(heads)} item headings were found",
        )
    context = _Context(config, specs, header.body, header.date, notes, source)
    items: list[ImportedItem] = []
    previous = 0
    for position, head in enumerate(heads):
        end = heads[position + 1].index if position + 1 < len(heads) else len(source.lines)
        number = head.number
        if number <= previous:
            notes.add(
                head.index + 1,
                "warning",
                f"item number {number} follows {previous}: numbered {previous + 1} instead",
            )
            number = previous + 1
        previous = number
        preamble = header.leftover if position == 0 else []
        item, target = _read_item(context, head, number, end, preamble)
        if position == 0:
            for line, excerpt in header.leftover_blocks:
                where = f'section "{target.heading}" of ' if target else ""
                notes.add(
                    line,
                    "warning",
                    f"text before the first item is not part of the meeting block: {excerpt} "
                    f"kept at the start of {where}{_heading_word(language)} {number}",
                )
        items.append(item)
    phase = header.phase
    if phase == "agenda":
        decided = [
            (item, s) for item in items for s in item.sections if s.spec.minutes_only and s.markdown
        ]
        if decided:
            item, section = decided[0]
            notes.add(
                section.line,
                "warning",
                f'the title says agenda, but items have a "{section.spec.heading}" section '
                "with text: imported as minutes (phase: minutes)",
            )
            phase = "minutes"
    meeting = _meeting(header, config, language, phase)
    return Imported(meeting, tuple(items), tuple(sorted(notes.notes, key=lambda n: n.line)))


def _heading_word(language: Language) -> str:
    return "Item" if language == "en" else "Punkt"


def _meeting(
    header: _Header, config: Config, language: Language, phase: Phase | None = None
) -> ImportedMeeting:
    return ImportedMeeting(
        body=header.body,
        date=header.date,
        time=header.time,
        end=header.end,
        location=header.location,
        participants=tuple(header.participants),
        absent=tuple(header.absent),
        phase=phase or header.phase,
        language=language if language != config.language else None,
    )


def _toc_regions(source: _Source) -> set[int]:
    """Lines below a table-of-contents heading, up to the next heading."""
    inside: set[int] = set()
    active = False
    for index, heading in enumerate(source.headings):
        bold = source.bold_line(index)
        text = heading[1] if heading else bold
        if text is not None and _plain(text).casefold() in _TOC_HEADINGS:
            active = True
            continue
        if heading is not None:
            active = False
        if active:
            inside.add(index)
    return inside


def _find_items(source: _Source, toc: set[int]) -> list[_Head]:
    """The item headings: "Punkt N: title" as a heading or bold line, else other shapes."""
    heads: list[_Head] = []
    for index, heading in enumerate(source.headings):
        if index in toc:
            continue
        text = heading[1] if heading else source.bold_line(index)
        if text is not None and (head := _item_head(index, text)) is not None:
            heads.append(head)
    if heads:
        return heads
    # No heading names an item: a converter that knows no headings writes them as lines.
    for index, line in enumerate(source.lines):
        if index not in toc and source.lone(index) and (head := _item_head(index, line)):
            heads.append(head)
    if heads:
        return heads
    # Numbered headings, "## 3. Title", at the highest level where they occur.
    numbered = [
        (index, heading[0], match)
        for index, heading in enumerate(source.headings)
        if heading is not None
        and index not in toc
        and (match := _NUMBERED.fullmatch(_plain(heading[1])))
    ]
    if numbered:
        level = min(level for _, level, _ in numbered)
        for index, lvl, match in numbered:
            if lvl == level:
                heads.append(_Head(index, int(match[1]), match[2].strip(), None))
    return heads


def _item_head(index: int, text: str) -> _Head | None:
    plain = _plain(text)
    match = _ITEM.fullmatch(plain)
    if match is None or _is_dot_leader(plain):
        return None
    english = match[1].casefold() == "item"
    return _Head(index, int(match[2]), _plain(match[3]), english)


# --- the meeting block --------------------------------------------------------------------


@dataclass
class _Header:
    """What the text before the first item says."""

    body: str | None = None
    date: dt.date | None = None
    time: dt.time | None = None
    end: dt.time | None = None
    location: str | None = None
    participants: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    phase: Phase = "minutes"
    english: bool | None = None
    toc_entries: int = 0
    toc_line: int = 1
    leftover: list[_Line] = field(default_factory=list)
    """Lines that are not the meeting block nor the table of contents."""
    leftover_blocks: list[tuple[int, str]] = field(default_factory=list)
    """First line and excerpt of each stretch of leftover text, for the notes."""


def _read_header(source: _Source, end: int, notes: _Notes) -> _Header:
    header = _Header()
    title_date: tuple[dt.date, int] | None = None
    block_date: tuple[dt.date, int] | None = None
    title_found = False
    in_toc = False
    first_text = source.next_filled(0, end)
    index = 0
    while index < end:
        line = source.lines[index]
        stripped = line.strip()
        number = index + 1
        if not stripped:
            index += 1
            continue
        if source.fenced[index]:
            _leftover(header, source, index)
            index += 1
            continue
        heading = source.headings[index]
        bold = source.bold_line(index)
        text = heading[1] if heading else bold if bold is not None else stripped
        plain = _plain(text)
        if heading is not None:
            in_toc = False
        if not title_found and (heading or bold is not None or first_text == index):
            match = _TITLE.fullmatch(plain)
            if match:
                title_found = True
                word = match[1].casefold()
                header.phase = "agenda" if word in _AGENDA_WORDS else "minutes"
                header.english = word in _ENGLISH_WORDS
                rest = match[2]
                found = _find_date(rest)
                if found is not None:
                    title_date = (found[0], number)
                    after = rest[found[1].end() :]
                    rest = rest[: found[1].start()]
                    _time_from(header, after, number, "the title line", notes)
                header.body = _title_body(rest)
                index += 1
                if header.body is None:
                    index = _body_after_title(source, header, index, end)
                continue
        if (heading or bold is not None or source.lone(index)) and (
            plain.casefold() in _TOC_HEADINGS
        ):
            in_toc = True
            header.toc_line = number
            index += 1
            continue
        if _PAGE_MARK.fullmatch(stripped):
            notes.add(number, "note", f"left out the page number {_excerpt(stripped)}")
            index += 1
            continue
        if _INTERNAL_BANNER.fullmatch(stripped):
            notes.add(number, "note", f"left out the edition banner {_excerpt(stripped)}")
            index += 1
            continue
        label = _label(stripped) if heading is None else None
        if label is not None:
            name, value = label
            pieces, listed, index = _label_value(source, index, end, value)
            joined = " ".join(pieces).strip()
            if name == "date":
                found = _find_date(joined)
                if found is None:
                    notes.add(number, "warning", f"no date found in {_excerpt(joined)}")
                    _time_from(header, joined, number, "the meeting date", notes)
                else:
                    block_date = (found[0], number)
                    _check_weekday(joined, found[0], number, notes)
                    rest = _without(joined, found[1])
                    _time_from(header, rest, number, "the meeting date", notes)
            elif name == "time":
                if not _time_from(header, joined, number, "the meeting time", notes):
                    notes.add(number, "warning", f"no time found in {_excerpt(joined)}")
            elif name in ("location", "body"):
                before = header.location if name == "location" else header.body
                if before and joined and before != joined:
                    notes.add(
                        number,
                        "warning",
                        f"{_excerpt(joined)} replaces {_excerpt(before)} as the meeting's {name}",
                    )
                if name == "location":
                    header.location = joined or before
                else:
                    header.body = joined or before
            else:
                names = pieces if listed else _names(pieces)
                if len(names) == 1 and names[0].casefold() in _NONE_WORDS:
                    names = []
                (header.participants if name == "participants" else header.absent).extend(names)
            continue
        if (in_toc and _toc_line(stripped)) or _is_dot_leader(stripped):
            header.toc_entries += 1
            index += 1
            continue
        if in_toc:
            # An entry wrapped over several lines: the paragraph ends in a page number.
            stop = index
            while stop + 1 < end and not source.blank(stop + 1):
                stop += 1
            if stop > index and _toc_line(source.lines[stop].strip()):
                header.toc_entries += 1
                index = stop + 1
                continue
        if _TABLE_RULE.fullmatch(stripped) and index > 0 and _label(source.lines[index - 1]):
            index += 1  # the rule under the first row of a meeting block written as a table
            continue
        _leftover(header, source, index)
        index += 1
    if header.toc_entries:
        notes.add(
            header.toc_line,
            "note",
            f"left out the table of contents ({header.toc_entries} entries); "
            "referat writes it from the items",
        )
    if title_date and block_date and title_date[0] != block_date[0]:
        notes.add(
            block_date[1],
            "warning",
            f"the meeting date {block_date[0].isoformat()} differs from the title's "
            f"{title_date[0].isoformat()} (line {title_date[1]}): the meeting date is used",
        )
    chosen = block_date or title_date
    header.date = chosen[0] if chosen else None
    if header.date is None:
        notes.add(
            1,
            "warning",
            "no meeting date found (in the title line or a Mødedato line): "
            "add 'date:' to meeting.yaml",
        )
    if not header.body:
        notes.add(
            1,
            "warning",
            'no body found (such as "REFERAT Direktionen d. 01-03-2021"): '
            "add 'body:' to meeting.yaml",
        )
    return header


def _body_after_title(source: _Source, header: _Header, index: int, end: int) -> int:
    """A title without a body ("# Referat") may have it on the next line ("## Økonomiudvalget")."""
    found = source.next_filled(index, end)
    if found is None or source.fenced[found]:
        return index
    heading = source.headings[found]
    text = heading[1] if heading else source.bold_line(found)
    if text is None and source.lone(found):
        text = source.lines[found]
    if text is None or _label(source.lines[found]) is not None:
        return index
    plain = _plain(text)
    if plain.casefold() in _TOC_HEADINGS or _is_dot_leader(plain) or len(plain) > 80:
        return index
    found_date = _find_date(plain)
    body = _title_body(plain[: found_date[1].start()] if found_date else plain)
    if not body:
        return index
    header.body = body
    return found + 1


def _time_from(header: _Header, text: str, line: int, where: str, notes: _Notes) -> bool:
    """Take the start (and end) time from ``text``; report any other words in it."""
    found = _find_time(text)
    if found is not None:
        start, end, match = found
        if header.time is not None and (header.time, header.end) != (start, end):
            notes.add(line, "warning", f"the time {match[0].strip()!r} replaces an earlier one")
        header.time, header.end = start, end
        text = _without(text, match)
    unused = _unused(text)
    if unused:
        notes.add(line, "warning", f"{_excerpt(unused)} in {where} is not used")
    return found is not None


def _leftover(header: _Header, source: _Source, index: int) -> None:
    line = source.lines[index]
    heading = source.headings[index]
    if heading is not None:
        # A heading here would be a level-1 or section heading in the item file.
        line = "### " + _plain(heading[1], colon=True)
    previous = header.leftover[-1].number if header.leftover else None
    # A new stretch starts where something was read in between (previous is 1-based).
    if previous is None or any(not source.blank(i) for i in range(previous, index)):
        header.leftover_blocks.append((index + 1, _excerpt(line.lstrip("# "))))
    if previous is not None and previous != index:
        header.leftover.append(_Line(index, ""))
    header.leftover.append(_Line(index + 1, line, source.fenced[index]))


def _title_body(rest: str) -> str | None:
    text = _plain(rest)
    previous = None
    while previous != text:
        previous = text
        if (prefix := _TITLE_PREFIX.match(text)) is not None:
            text = text[prefix.end() :]
        text = _TITLE_SUFFIX.sub("", text).strip()
    return text or None


def _label(line: str) -> tuple[Field, str] | None:
    """A meeting-block line: ``**Mødested** Teams``, ``Mødested: Teams``, ``| Mødested | ... |``."""
    text = line.strip()
    if text.startswith("|"):
        cells = [c.strip() for c in text.strip("|").split("|")]
        text = " ".join(c for c in cells if c)
    match = _LABEL.fullmatch(text)
    if match is None:
        return None
    opened, closed = match[1], match[4]
    if (opened or closed) and opened != closed:
        return None
    name, plain = _LABEL_FIELDS[match[2].casefold()]
    if not (plain or opened or match[3] or match[5]):
        return None
    return name, match[6].strip()


def _label_value(source: _Source, index: int, end: int, value: str) -> tuple[list[str], bool, int]:
    """A label's value over the lines it wraps onto: one piece a line, whether they are a
    list's entries, and the line after the value."""
    pieces: list[str] = [_clean_piece(value)] if value.strip() else []
    listed = False
    stop = index + 1
    if not pieces:
        following = source.next_filled(stop, end)
        stop = following if following is not None else end
    while stop < end and not source.blank(stop) and not source.fenced[stop]:
        line = source.lines[stop]
        if (
            source.headings[stop] is not None
            or _label(line) is not None
            or _is_dot_leader(line.strip())
        ):
            break
        marker = _LIST_MARKER.match(line)
        listed = listed or marker is not None
        pieces.append(_clean_piece(line[marker.end() :] if marker else line))
        stop += 1
    return [p for p in pieces if p], listed, stop


def _clean_piece(text: str) -> str:
    return _SPACES.sub(" ", text.strip().rstrip("\\")).strip()


def _names(pieces: list[str]) -> list[str]:
    """Names from the lines of a label's value: running text wrapped across lines ("Kathrine
    Seier" / "Skastrup, Anya ...") split at commas, semicolons and "og"/"and"; else one
    name a line."""
    if any("," in piece or ";" in piece for piece in pieces):
        pieces = [" ".join(pieces)]
    names: list[str] = []
    for piece in pieces:
        for name in re.split(r"\s*[,;]\s*|(?<!-)\s+(?:og|and)\s+", piece):
            name = name.strip().rstrip(".").strip()
            if name:
                names.append(name)
    return names


def _without(text: str, match: re.Match[str] | None) -> str:
    return text if match is None else text[: match.start()] + " " + text[match.end() :]


def _check_weekday(text: str, date: dt.date, line: int, notes: _Notes) -> None:
    for word in re.findall(r"[^\W\d_]+", text):
        weekday = _weekdays().get(word.casefold())
        if weekday is not None and weekday != date.weekday():
            notes.add(
                line,
                "warning",
                f'"{word}" does not match the date {date.isoformat()}; check the meeting date',
            )
            return


def _toc_line(text: str) -> bool:
    """A line of a table of contents: a page number at the end, or an item as a list entry."""
    if _is_toc_entry(text) or _LIST_MARKER.match(text):
        return True
    entry = _LIST_MARKER.sub("", text, count=1)
    link = _LINK.fullmatch(entry.strip())
    if link:
        entry = link[1]
    return _ITEM.fullmatch(_plain(entry)) is not None


# --- one item -----------------------------------------------------------------------------


@dataclass
class _Context:
    """What reading an item needs: the configuration and what the meeting block said."""

    config: Config
    specs: tuple[SectionSpec, ...]
    body: str | None
    date: dt.date | None
    notes: _Notes
    source: _Source


@dataclass
class _Acc:
    """A section being filled."""

    spec: SectionSpec
    line: int
    lines: list[_Line] = field(default_factory=list)

    def filled(self) -> bool:
        return any(line.text.strip() for line in self.lines)


def _match_section(text: str, context: _Context) -> tuple[SectionSpec, bool] | None:
    """The configured section a heading names, maybe with a "... Direktionen den 01-03-2021"
    suffix; and whether the heading says more than referat writes again from the meeting
    (another body or date: "Beslutning i Økonomiudvalget den 18-03-2025")."""
    plain = _plain(text)
    key = plain.casefold()
    for spec in context.specs:
        if key == spec.heading.casefold():
            return spec, False
    for spec in sorted(context.specs, key=lambda s: -len(s.heading)):
        heading = spec.heading.casefold()
        if not key.startswith(heading) or key[len(heading) : len(heading) + 1] not in " ,:(–-":
            continue
        rest = plain[len(heading) :].strip(" ,:()–-")
        body = (context.body or "").casefold()
        if _has_date(rest) or (body and body in rest.casefold()) or _BODY_WORDS.search(rest):
            return spec, not _own_suffix(rest, context)
    return None


def _own_suffix(rest: str, context: _Context) -> bool:
    """Whether a section heading's suffix names only the meeting's own body and date."""
    found = _find_date(rest)
    if found is not None:
        if context.date is not None and found[0] != context.date:
            return False
        rest = _without(rest, found[1])
    if context.body:
        rest = re.sub(re.escape(context.body), " ", rest, flags=re.IGNORECASE)
    rest = re.sub(r"\b(?:i|for|af|of|by)\b", " ", rest, flags=re.IGNORECASE)
    return _unused(rest) is None


def _inline_section(text: str, context: _Context) -> tuple[SectionSpec | str, str] | None:
    """A paragraph that opens with a section name and a colon: ``**Beslutning:** Godkendt.``.

    Gives the section (or "bilag") and the text after the label.
    """
    match = _INLINE_LABEL.fullmatch(text.strip())
    if match is None or match[1] != (match[3] or match[4]) or (match[3] and match[4]):
        return None
    name = match[2].strip()
    if name.casefold() in _ATTACHMENT_HEADINGS:
        return "bilag", match[5]
    found = _match_section(name, context)
    if found is None or name.casefold() != found[0].heading.casefold():
        return None
    return found[0], match[5]


class _ItemReader:
    """The body of one item, line by line, into sections, attachments and the text before them."""

    def __init__(self, context: _Context, name: str, preamble: list[_Line]) -> None:
        self.context = context
        self.name = name
        self.lead: list[_Line] = list(preamble)
        if preamble:
            self.lead.append(_Line(preamble[-1].number, ""))
        self.own_lead_start = len(self.lead)
        self.sections: dict[str, _Acc] = {}
        self.order: list[_Acc] = []
        self.bilag: list[_Line] = []
        self.current: _Acc | None = None
        self.in_bilag = False
        self.case: str | None = None

    def add(self, line: _Line) -> None:
        if self.in_bilag:
            self.bilag.append(line)
        elif self.current is not None:
            self.current.lines.append(line)
        else:
            self.lead.append(line)

    def sub_heading(self, number: int, text: str) -> None:
        if self.in_bilag:
            self.in_bilag = False
            where = (
                f'section "{self.current.spec.heading}"' if self.current else "the first section"
            )
            self.context.notes.add(
                number,
                "warning",
                f"heading {_excerpt(_plain(text))} after the attachments of {self.name} "
                f"is no attachment: it and its text are kept in {where}",
            )
        for line in ("", "### " + _plain(text, colon=True), ""):
            self.add(_Line(number, line))

    def start(self, spec: SectionSpec, number: int, heading: str, keep: bool = False) -> None:
        """Start (or go back to) a section; ``keep`` its heading's text as a sub-heading."""
        self.in_bilag = False
        if spec.key not in self.sections:
            self.current = self.sections[spec.key] = _Acc(spec, number)
            self.order.append(self.current)
            if keep:
                self.context.notes.add(
                    number,
                    "note",
                    f"the heading {_excerpt(_plain(heading))} names another body or date than "
                    f'the meeting\'s: kept as a sub-heading of section "{spec.heading}"',
                )
                self.sub_heading(number, heading)
            return
        self.current = self.sections[spec.key]
        self.context.notes.add(
            number,
            "warning",
            f'section "{spec.heading}" appears again in {self.name}: its text is added '
            f"to the first one under a sub-heading {_excerpt(_plain(heading))}",
        )
        self.sub_heading(number, heading)

    def read(self, start: int, end: int) -> None:
        source, notes = self.context.source, self.context.notes
        for index in range(start, end):
            text = source.lines[index]
            number = index + 1
            if source.fenced[index]:
                self.add(_Line(number, text, True))
                continue
            stripped = text.strip()
            if stripped == "?":
                notes.add(number, "note", 'left out a line holding only "?"')
                continue
            if _PAGE_MARK.fullmatch(stripped):
                notes.add(number, "note", f"left out the page number {_excerpt(stripped)}")
                continue
            heading = source.headings[index]
            candidate = heading[1] if heading else source.bold_line(index)
            if candidate is None and (
                source.lone(index) or (source.blank(index - 1) and stripped.endswith(":"))
            ):
                candidate = stripped
            if candidate is not None:
                if _plain(candidate).casefold() in _ATTACHMENT_HEADINGS:
                    self.in_bilag = True
                    continue
                found = _match_section(candidate, self.context)
                if found is not None:
                    self.start(found[0], number, candidate, keep=found[1])
                    continue
                if heading is not None:
                    self.sub_heading(number, candidate)
                    continue
            if heading is None and source.blank(index - 1):
                inline = _inline_section(text, self.context)
                if inline is not None:
                    target, rest = inline
                    if isinstance(target, str):
                        self.in_bilag = True
                    else:
                        self.start(target, number, target.heading)
                    # The text after "**Beslutning:**" now starts a line, where "#", ">",
                    # "-" or "1." would make it a heading, quote or list: keep it text.
                    self.add(_Line(number, _literal_start(rest)))
                    continue
            if self.current is None and not self.in_bilag and self.case is None:
                label = _CASE_LABEL.fullmatch(stripped)
                if label is not None:
                    self.case, rest = _case_value(label[1], index, self.context)
                    if rest:
                        self.add(_Line(number, rest))
                    continue
            self.add(_Line(number, text))

    def place_lead(self) -> SectionSpec | None:
        """Put the text before the first section into the first configured section present."""
        if not any(line.text.strip() for line in self.lead):
            return None
        specs = self.context.specs
        present = [s for s in specs if s.key in self.sections]
        if present:
            acc = self.sections[present[0].key]
        else:
            first = next(line.number for line in self.lead if line.text.strip())
            acc = self.sections[specs[0].key] = _Acc(specs[0], first)
            self.order.append(acc)
        acc.lines[:0] = [*self.lead, _Line(self.lead[-1].number, "")]
        own = [line for line in self.lead[self.own_lead_start :] if line.text.strip()]
        if own:
            self.context.notes.add(
                own[0].number,
                "warning",
                f"text before the first section of {self.name}: {_excerpt(own[0].text)} "
                f'kept at the start of section "{acc.spec.heading}"',
            )
        return acc.spec

    def take_summary(self) -> str | None:
        """The one paragraph of a closed item without sections: what the public may know."""
        own = [line for line in self.lead[self.own_lead_start :] if line.text.strip()]
        if (
            self.sections
            or not own
            or own[-1].number - own[0].number != len(own) - 1
            or any(line.fenced or _BLOCK_START.match(line.text) for line in own)
        ):
            return None
        del self.lead[self.own_lead_start :]
        self.context.notes.add(
            own[0].number,
            "note",
            f"the text of closed {self.name} is taken as its public summary (public_summary)",
        )
        return " ".join(line.text.strip() for line in own)

    def result(self) -> tuple[ImportedSection, ...]:
        """The sections with text, in configured order."""
        rank = {spec.key: i for i, spec in enumerate(self.context.specs)}
        kept: list[_Acc] = []
        for acc in self.order:
            if acc.filled():
                kept.append(acc)
            else:
                self.context.notes.add(
                    acc.line,
                    "note",
                    f'section "{acc.spec.heading}" of {self.name} is empty: left out',
                )
        ordered = sorted(kept, key=lambda acc: rank[acc.spec.key])
        moved = next((b for a, b in zip(kept, ordered, strict=True) if a is not b), None)
        if moved is not None:
            self.context.notes.add(
                moved.line,
                "note",
                f"sections of {self.name} put in the configured order: "
                + ", ".join(acc.spec.heading for acc in ordered),
            )
        return tuple(
            ImportedSection(acc.spec, _markdown(acc.lines, self.context.notes), acc.line)
            for acc in ordered
        )


def _read_item(
    context: _Context, head: _Head, number: int, end: int, preamble: list[_Line]
) -> tuple[ImportedItem, SectionSpec | None]:
    """Read the lines of one item; also returns the section that took the text before sections."""
    source, notes, config = context.source, context.notes, context.config
    name = f"{'Item' if head.english else 'Punkt'} {number}"
    title, closed = head.title, False
    if (match := _CLOSED_TITLE.fullmatch(title)) is not None:
        closed = True
        title = _plain(match[1]) if match[1] else title
    elif (match := _CLOSED_SUFFIX.fullmatch(title)) is not None:
        closed, title = True, match[1]
    if not title:
        title = name
        notes.add(head.index + 1, "warning", f"{name} has no title: titled {title!r}")
    reader = _ItemReader(context, name, preamble)
    summary: str | None = None
    addendum = False

    # Lines right under the heading: case number, closed and addendum markers, public summary.
    index = head.index + 1
    while (found := source.next_filled(index, end)) is not None and not source.fenced[found]:
        if source.headings[found] is not None:
            break
        line = source.lines[found].strip()
        plain = _plain(line)
        if reader.case is None and config.case_pattern.fullmatch(plain):
            reader.case = plain
        elif reader.case is None and (label := _CASE_LABEL.fullmatch(line)) is not None:
            reader.case, rest = _case_value(label[1], found, context)
            if rest:
                reader.add(_Line(found + 1, rest))
        elif plain.casefold() in _CLOSED_MARKERS:
            closed = True
        elif plain.casefold() in _ADDENDUM_MARKERS:
            addendum = True
        elif closed and summary is None and (match := _SUMMARY.fullmatch(line)) is not None:
            summary = match[1].strip()
        else:
            break
        index = found + 1

    reader.read(index, end)
    if reader.case is None:
        notes.add(
            head.index + 1,
            "warning" if config.case_required else "note",
            f'{name} has no case number (a line such as "20/6598" or "Sagsnummer: ..." '
            "under its heading)",
        )
    if closed and summary is None:
        summary = reader.take_summary()
    target = reader.place_lead()
    sections = reader.result()
    if not closed and not sections:
        notes.add(head.index + 1, "warning", f"{name} has no text")
    item = ImportedItem(
        number=number,
        title=title,
        line=head.index + 1,
        case=reader.case,
        closed=closed,
        public_summary=summary,
        addendum=addendum,
        sections=sections,
        attachments=tuple(_attachments(reader.bilag)),
    )
    return item, target


def _case_value(value: str, index: int, context: _Context) -> tuple[str, str]:
    """The case number of a "Sagsnummer: ..." line, and any text after it on the line."""
    case, rest = _plain(value), ""
    pattern = context.config.case_pattern
    if not pattern.fullmatch(case):
        first, _, after = case.partition(" ")
        if after and pattern.fullmatch(first):
            case, rest = first, after.strip()
        else:
            context.notes.add(
                index + 1,
                "warning",
                f'case number "{case}" does not match {pattern.pattern}; kept as it is '
                "(give --config with the case_pattern of its organisation)",
            )
    return case, rest


def _attachments(lines: list[_Line]) -> Iterator[ImportedAttachment]:
    for line in lines:
        text = _LIST_MARKER.sub("", line.text, count=1).strip()
        if not text:
            continue
        link = _LINK.fullmatch(text)
        if link is not None:
            yield ImportedAttachment(_plain(link[1]), link[2], line.number)
        else:
            yield ImportedAttachment(_plain(text) or text, None, line.number)


def _markdown(lines: Sequence[_Line], notes: _Notes) -> str:
    """A section's Markdown: page-break splits joined, runs of blank lines made one, and a
    code fence left open closed at its end (sections may be reordered, and an open fence
    would swallow the headings written after it)."""
    joined = _join_page_breaks(list(lines), notes)
    out: list[str] = []
    for line in joined:
        blank = not line.text.strip() and not line.fenced
        if blank and (not out or not out[-1].strip()):
            continue
        out.append("" if blank else line.text)
    while out and not out[-1].strip():
        out.pop()
    fence = _open_fence(out)
    if fence is not None:
        if joined:
            notes.add(joined[-1].number, "note", "a code block left open is closed here")
        out.append(fence)
    return "\n".join(out) + "\n" if out else ""


_BLOCK_START = re.compile(r"(#{1,6}(?=\s|$)|>|[-+*](?=\s)|\d{1,9}[.)](?=\s|$)|`{3,}|~{3,})")


def _literal_start(text: str) -> str:
    """``text`` with a backslash before block syntax at its start, so it stays a paragraph."""
    stripped = text.lstrip(" ")
    if _BLOCK_START.match(stripped):
        return text[: len(text) - len(stripped)] + "\\" + stripped
    return text


def _open_fence(lines: Sequence[str]) -> str | None:
    """The fence that closes a code block still open after ``lines``, if one is."""
    fence: str | None = None
    for line in lines:
        if fence is None:
            fence = fence_opened(line)
        elif closes_fence(line, fence):
            fence = None
    return fence


def _join_page_breaks(lines: list[_Line], notes: _Notes) -> list[_Line]:
    """Join a paragraph that a page break split ("... været bemærket" / "af Socialtilsynet").

    Joined where a plain paragraph ends in the middle of a sentence (a letter, a digit or a
    comma) and the next plain paragraph starts with a lower-case letter.
    """
    out: list[_Line] = []
    start = 0  # where the paragraph being written starts in out
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        out.append(line)
        if line.fenced or not line.text.strip():
            start = len(out)
            continue
        after = index
        while after < len(lines) and not lines[after].text.strip() and not lines[after].fenced:
            after += 1
        if after == index or after == len(lines):
            continue
        following = lines[after]
        last, first = line.text.rstrip(), following.text.lstrip()
        if (
            not following.fenced
            and not _BLOCK_START.match(out[start].text)
            and not _BLOCK_START.match(following.text)
            and len(last.strip()) >= 40
            and (last[-1].isalnum() or last[-1] == ",")
            and first[:1].islower()
        ):
            out[-1] = _Line(line.number, f"{last} {first}")
            notes.add(
                following.number,
                "note",
                f"joined a paragraph split by a page break "
                f"(lines {line.number} and {following.number})",
            )
            index = after + 1
    return out
