"""The archive of a repository: front page by body, case index, case histories and Atom feeds.

Every page is described by plain data (its context) before it is rendered, so that a build
can tell from a digest of that data whether the page changed since the previous build.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import jinja2

from . import __version__
from .config import Language
from .render.templates import case_slug, render_template
from .render.words import WORDS
from .sources import slugify
from .summary import MeetingSummary

#: Namespace of the Atom ids referat makes (uuid5 of "referat:<meeting id>" and the like).
_NAMESPACE = uuid.UUID("3f1f5c52-5b7c-4a55-9c43-0b1c6f64a3d0")


def body_slug(body: str) -> str:
    """A body's folder name in OUT: ``Teknik- og Miljøudvalget`` -> ``teknik-og-miljoeudvalget``."""
    return slugify(body, limit=60)


@dataclass(frozen=True)
class Page:
    """One archive page: where it goes, its template, and the data it shows."""

    path: str
    """Path in OUT."""
    template: str
    """Template name."""
    context: dict[str, Any]
    """JSON-ready data the template receives as ``page``."""

    @property
    def key(self) -> str:
        """sha256 of everything the page is made from (its template aside)."""
        data = json.dumps([__version__, self.template, self.context], sort_keys=True)
        return hashlib.sha256(data.encode("utf-8")).hexdigest()

    def render(self, env: jinja2.Environment) -> str:
        """The page's text."""
        return render_template(env, self.template, page=self.context)


#: Decision heading and HTML of each item of a meeting, by meeting id.
Decisions = Callable[[str], Sequence[tuple[str | None, str | None]]]


class Archive:
    """The archive of some meetings, from which each page is made when asked for."""

    def __init__(
        self,
        meetings: Sequence[MeetingSummary],
        language: Language,
        decisions: Decisions,
        edition: str = "public",
    ) -> None:
        self.language = language
        self.decisions = decisions
        self.words = asdict(WORDS[language])
        self.words["edition"] = (
            edition  # the internal edition's pages say so, like its meeting pages
        )
        self.by_case: dict[str, list[tuple[MeetingSummary, int]]] = defaultdict(list)
        self.by_body: dict[str, list[MeetingSummary]] = defaultdict(list)
        for meeting in meetings:
            self.by_body[meeting.body].append(meeting)
            for index, item in enumerate(meeting.items):
                if item.case is not None:
                    self.by_case[item.case].append((meeting, index))

    def specs(
        self,
        cases: Iterable[str] | None = None,
        bodies: Iterable[str] | None = None,
        indexes: bool = True,
    ) -> list[tuple[str, str]]:
        """The pages to make: all, or the indexes and the pages of the given cases and bodies."""
        out = [("index", ""), ("cases", "")] if indexes else []
        wanted = sorted(self.by_case) if cases is None else sorted(set(cases) & set(self.by_case))
        out += [("case", case) for case in wanted]
        chosen = sorted(self.by_body) if bodies is None else sorted(set(bodies) & set(self.by_body))
        out += [("feed", body) for body in chosen]
        return out

    def page(self, spec: tuple[str, str]) -> Page:
        """One page, by its spec from :meth:`specs`."""
        kind, name = spec
        if kind == "index":
            return _front_page(self.by_body, self.words, self.language)
        if kind == "cases":
            return _case_index(self.by_case, self.words, self.language)
        if kind == "case":
            return _case_page(name, self.by_case[name], self.words, self.language, self.decisions)
        return _feed(name, self.by_body[name], self.words, self.language)


def page_paths(meetings: Sequence[MeetingSummary]) -> set[str]:
    """The paths of every archive page of ``meetings``, without making the pages."""
    paths = {"index.html", "cases/index.html"}
    for meeting in meetings:
        paths.add(f"{body_slug(meeting.body)}/feed.xml")
        paths.update(f"cases/{case_slug(i.case)}.html" for i in meeting.items if i.case)
    return paths


def _meeting_ref(meeting: MeetingSummary, prefix: str) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "href": f"{prefix}{meeting.id}/index.html",
        "title": meeting.title,
        "date": meeting.date,
        "when": meeting.when,
        "item_count": len(meeting.items),
    }


def _front_page(
    by_body: dict[str, list[MeetingSummary]], words: dict[str, Any], language: str
) -> Page:
    bodies = [
        {
            "name": body,
            "feed": f"{body_slug(body)}/feed.xml",
            "meetings": [
                _meeting_ref(m, "")
                for m in sorted(meetings, key=lambda m: (m.date, m.id), reverse=True)
            ],
        }
        for body, meetings in sorted(by_body.items())
    ]
    return Page(
        "index.html",
        "archive.html",
        {"words": words, "language": language, "root": "", "bodies": bodies},
    )


def _latest_title(entries: list[tuple[MeetingSummary, int]]) -> str | None:
    titles = [m.items[i].title for m, i in sorted(entries, key=lambda e: (e[0].date, e[0].id))]
    open_titles = [t for (m, i), t in zip(entries, titles, strict=True) if not m.items[i].withheld]
    return open_titles[-1] if open_titles and open_titles[-1] else None


def _case_index(
    by_case: dict[str, list[tuple[MeetingSummary, int]]], words: dict[str, Any], language: str
) -> Page:
    cases = [
        {
            "case": case,
            "href": f"{case_slug(case)}.html",
            "title": _latest_title(entries),
            "meetings": len({m.id for m, _ in entries}),
        }
        for case, entries in sorted(by_case.items(), key=lambda kv: _natural(kv[0]))
    ]
    return Page(
        "cases/index.html",
        "cases.html",
        {"words": words, "language": language, "root": "../", "cases": cases},
    )


def _case_page(
    case: str,
    entries: list[tuple[MeetingSummary, int]],
    words: dict[str, Any],
    language: str,
    decisions: Decisions,
) -> Page:
    rows = []
    for meeting, index in sorted(entries, key=lambda e: (e[0].date, e[0].id, e[1])):
        item = meeting.items[index]
        heading, decision = decisions(meeting.id)[index] if not item.withheld else (None, None)
        rows.append(
            {
                "meeting": _meeting_ref(meeting, "../"),
                "href": f"../{meeting.id}/index.html#{item.anchor}",
                "heading": item.heading,
                "withheld": item.withheld,
                "public_summary": item.public_summary,
                "decision_heading": heading,
                "decision_html": decision,
            }
        )
    return Page(
        f"cases/{case_slug(case)}.html",
        "case.html",
        {
            "words": words,
            "language": language,
            "root": "../",
            "case": case,
            "title": _latest_title(entries),
            "entries": rows,
        },
    )


def _feed(body: str, meetings: list[MeetingSummary], words: dict[str, Any], language: str) -> Page:
    newest = sorted(meetings, key=lambda m: (m.date, m.id), reverse=True)
    entries = [
        {
            "id": f"urn:uuid:{uuid.uuid5(_NAMESPACE, 'meeting:' + m.id)}",
            "title": m.title,
            "href": f"../{m.id}/index.html",
            "updated": f"{m.date}T00:00:00Z",
            "summary": "\n".join(item.heading for item in m.items),
        }
        for m in newest
    ]
    return Page(
        f"{body_slug(body)}/feed.xml",
        "feed.xml",
        {
            "words": words,
            "language": language,
            "id": f"urn:uuid:{uuid.uuid5(_NAMESPACE, 'body:' + body)}",
            "title": str(words["feed_title"]).format(body=body),
            "body": body,
            "updated": entries[0]["updated"],
            "entries": entries,
        },
    )


def _natural(case: str) -> list[Any]:
    """Sort key that puts 20/999 before 20/1000."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", case)]
