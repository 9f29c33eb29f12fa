"""The fixed words and date formats of each output language; dates are formatted by Babel."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from babel.dates import format_date, format_time

from ..config import Language


@dataclass(frozen=True)
class Words:
    """Every fixed word a document uses, in one language."""

    language: Language
    minutes: str
    agenda: str
    date: str
    location: str
    participants: str
    absent: str
    contents: str
    item: str
    closed: str
    closed_item: str
    attachments: str
    case: str
    addendum: str
    public_summary: str
    internal: str
    skip_to_content: str
    archive: str
    """Title of the archive's front page."""
    cases: str
    """Title of the list of case numbers."""
    case_history: str
    """Title of one case's page: "Sagshistorik 20/6598"."""
    back_to_archive: str
    """Link from a meeting page to the archive."""
    feed: str
    """Link to a body's Atom feed."""
    feed_title: str
    """Title of a body's feed, ``{body}`` replaced."""
    no_decision: str
    """Said on a case page of an item without a decision (an agenda)."""
    items_count: str
    """``{n}`` items, in the archive's list of meetings."""
    page: str
    """"Side" in the page footer "Side 2 af 9"."""
    of: str
    """"af" in the page footer."""
    anchor: str
    title_pattern: str
    """``{kind} {body} ... {date}``: the document's title line."""
    decision_pattern: str
    """``{heading} {body} ... {date}``: the heading of the decision section."""
    short_date: str
    """Babel pattern for dates in the title and decision heading."""
    long_date: str
    """Babel pattern for the meeting date with weekday."""
    time_prefix: str
    """What joins the long date and the time."""

    def short(self, date: dt.date) -> str:
        """``01-03-2021`` in Danish, ``1 March 2021`` in English."""
        return _date(date, self.short_date, self.language)

    def long(self, date: dt.date, start: dt.time | None, end: dt.time | None) -> str:
        """``Mandag d. 01. marts 2021 kl. 09:30``, with weekday, and the time when there is one."""
        text = _date(date, self.long_date, self.language)
        text = text[:1].upper() + text[1:]
        if start is not None:
            text += self.time_prefix + self.clock(start)
            if end is not None:
                text += "–" + self.clock(end)
        return text

    def clock(self, time: dt.time) -> str:
        """``09:30``."""
        return str(format_time(time, "HH:mm", locale=self.language))


WORDS: dict[Language, Words] = {
    "da": Words(
        language="da",
        minutes="REFERAT",
        agenda="DAGSORDEN",
        date="Mødedato",
        location="Mødested",
        participants="Mødedeltagere",
        absent="Afbud",
        contents="Indholdsfortegnelse",
        item="Punkt",
        closed="Lukket",
        closed_item="Lukket punkt",
        attachments="Bilag",
        case="Sagsnr.",
        addendum="Tillægsdagsorden",
        public_summary="Offentliggøres som",
        internal="Intern udgave med lukkede punkter – må ikke offentliggøres",
        skip_to_content="Gå til indhold",
        archive="Arkiv",
        cases="Sager",
        case_history="Sagshistorik",
        back_to_archive="Til arkivet",
        feed="Abonnér (Atom)",
        feed_title="{body}: referater og dagsordener",
        no_decision="Ingen beslutning",
        items_count="{n} punkter",
        page="Side",
        of="af",
        anchor="punkt",
        title_pattern="{kind} {body} d. {date}",
        decision_pattern="{heading} {body} den {date}",
        short_date="dd-MM-yyyy",
        long_date="EEEE 'd.' dd. MMMM yyyy",
        time_prefix=" kl. ",
    ),
    "en": Words(
        language="en",
        minutes="MINUTES",
        agenda="AGENDA",
        date="Date",
        location="Location",
        participants="Participants",
        absent="Apologies",
        contents="Table of contents",
        item="Item",
        closed="Closed",
        closed_item="Closed item",
        attachments="Attachments",
        case="Case no.",
        addendum="Supplementary item",
        public_summary="Published as",
        internal="Internal edition with closed items – not for publication",
        skip_to_content="Skip to content",
        archive="Archive",
        cases="Cases",
        case_history="Case history",
        back_to_archive="Back to the archive",
        feed="Subscribe (Atom)",
        feed_title="{body}: minutes and agendas",
        no_decision="No decision",
        items_count="{n} items",
        page="Page",
        of="of",
        anchor="item",
        title_pattern="{kind} {body}, {date}",
        decision_pattern="{heading} {body}, {date}",
        short_date="d MMMM yyyy",
        long_date="EEEE d MMMM yyyy",
        time_prefix=", ",
    ),
}


@functools.lru_cache(maxsize=4096)
def _date(date: dt.date, pattern: str, language: str) -> str:
    """Babel's ``format_date``, remembered: an archive writes each meeting's date many times."""
    return str(format_date(date, pattern, locale=language))
