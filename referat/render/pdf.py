"""The PDF writer: the HTML writer's page laid out for print by WeasyPrint, as tagged PDF/UA-1."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import jinja2

from .. import __version__
from .document import Document
from .templates import render_template

FILE_NAME = "referat.pdf"

INSTALL_HINT = (
    "PDF output needs WeasyPrint and the Pango text library: on Debian or Ubuntu run "
    "'apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core', then "
    "'pip install weasyprint'"
)


class PdfUnavailable(Exception):
    """WeasyPrint or the system libraries it needs cannot be loaded."""


def engine() -> ModuleType:
    """WeasyPrint, imported on first use so that the other formats never need it."""
    try:
        import weasyprint
    except (ImportError, OSError) as err:  # OSError: Pango's shared library is missing
        raise PdfUnavailable(f"{INSTALL_HINT} ({err})") from None
    return cast(ModuleType, weasyprint)


@dataclass(frozen=True)
class PrintJob:
    """Everything a PDF depends on; its :attr:`key` names the PDF in the render cache."""

    html: str
    """The page as the HTML writer renders it for print."""
    created: dt.date
    """Creation date for the metadata: the meeting date."""
    modified: dt.datetime
    """Modification date for the metadata: SOURCE_DATE_EPOCH, else approval or meeting date."""
    embedded: tuple[tuple[str, Path], ...]
    """Files embedded in the PDF (internal edition): name and path."""

    @property
    def key(self) -> str:
        """sha256 over the inputs and the versions of referat and WeasyPrint."""
        digest = hashlib.sha256()
        weasyprint = engine()
        for part in (__version__, weasyprint.__version__, self.html):
            digest.update(part.encode("utf-8") + b"\0")
        digest.update(f"{self.created}|{self.modified.isoformat()}\0".encode())
        for name, path in self.embedded:
            digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()


def print_job(
    doc: Document, env: jinja2.Environment, embedded: Sequence[tuple[str, Path]] = ()
) -> PrintJob:
    """What to lay out for ``doc``: the same template as the HTML page, with print metadata."""
    modified = _source_date(doc)
    html = render_template(
        env,
        "document.html",
        doc=doc,
        medium="print",
        archive=None,
        modified=modified.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    return PrintJob(html, doc.date, modified, tuple(embedded))


def _source_date(doc: Document) -> dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).replace(tzinfo=None)
    day = doc.approved or doc.date
    return dt.datetime(day.year, day.month, day.day)


def render(job: PrintJob) -> bytes:
    """Lay out ``job`` as an A4, tagged PDF/UA-1 with a content-derived identifier."""
    weasyprint = engine()
    # Nothing is fetched while laying out: the page is self-contained, and a fetcher
    # that allows no protocol keeps it that way whatever a template says.
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols=())
    attachments: list[Any] = [
        weasyprint.Attachment(
            string=path.read_bytes(),
            name=name,
            description=name,
            created=job.modified,
            modified=job.modified,
            url_fetcher=fetcher,
        )
        for name, path in job.embedded
    ]
    document = weasyprint.HTML(string=job.html, url_fetcher=fetcher, base_url="")
    with _fixed_clock(job.modified):
        data = document.write_pdf(
            pdf_variant="pdf/ua-1",
            pdf_identifier=True,
            attachments=attachments or None,
        )
    assert isinstance(data, bytes)
    return data


@contextlib.contextmanager
def _fixed_clock(moment: dt.datetime) -> Iterator[None]:
    """Make the font subsetter stamp fonts with ``moment`` instead of the current time.

    fontTools writes the time into every subset font's ``head`` table unless
    SOURCE_DATE_EPOCH is set; an unset variable is set for the duration of the call.
    """
    if os.environ.get("SOURCE_DATE_EPOCH"):
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.replace(tzinfo=dt.UTC).timestamp()))
    try:
        yield
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
