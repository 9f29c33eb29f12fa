"""The JSON writer: the document as data, for search indexes and other programs."""

from __future__ import annotations

import json
from typing import Any

from .document import DocItem, Document

FILE_NAME = "referat.json"
#: Version of the JSON layout; raised when a field changes meaning or disappears.
FORMAT_VERSION = 1


def write(doc: Document) -> str:
    """The meeting as pretty-printed JSON with a trailing newline."""
    data: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "id": doc.meeting_id,
        "edition": doc.edition,
        "phase": doc.phase,
        "language": doc.language,
        "title": doc.title,
        "body": doc.body,
        "date": doc.date.isoformat(),
        "time": doc.time.strftime("%H:%M") if doc.time else None,
        "end": doc.end.strftime("%H:%M") if doc.end else None,
        "location": doc.location,
        "participants": list(doc.participants),
        "absent": list(doc.absent),
        "approved": doc.approved.isoformat() if doc.approved else None,
        "items": [_item(item) for item in doc.items],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _item(item: DocItem) -> dict[str, Any]:
    return {
        "number": item.number,
        "anchor": item.anchor,
        "heading": item.heading,
        "title": item.title,
        "case": item.case,
        "closed": item.closed,
        "addendum": item.addendum,
        "public_summary": item.public_summary,
        "sections": [
            {"key": s.key, "heading": s.heading, "markdown": s.markdown, "html": s.html}
            for s in item.sections
        ],
        "attachments": [{"title": a.title, "file": a.href} for a in item.attachments],
    }
