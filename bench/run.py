"""Time referat's validate and build on generated corpora against a read-parse-render floor.

With --pdf, time the PDF writer instead: its stages for the seed meeting and a generated
30-item meeting, and whole PDF builds cold and rebuilt from the PDF cache.
"""

from __future__ import annotations

import _lsprof
import argparse
import cProfile
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import mistune
import yaml

from referat.build import Built, build
from referat.diagnostics import Severity
from referat.model import Meeting
from referat.render import pdf
from referat.render.document import make_document
from referat.render.templates import environment
from referat.validate import Checked, check

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import START_DATE, generate, generate_meeting

SEED = 1
"""Corpora are always generated with this seed, so every run measures the same files."""
STAMP = ".bench-corpus"
"""Left at the top of a corpus written under --workdir, so a later run may replace it."""
SEED_MEETING = Path(__file__).resolve().parent.parent / "examples" / "direktionen" / "2021-03-01"
"""The seed meeting --pdf measures: 6 items, 15 pages in the public edition."""
PDF_ITEMS = 30
"""Items in the generated meeting --pdf measures."""
PDF_CORPUS = 20
"""Meetings in the generated corpus --pdf builds whole."""
FLOOR_TEMPLATE = (
    "<!doctype html>\n<title>{{ title }}</title>\n"
    "{% for part in parts %}<section>\n{{ part }}</section>\n{% endfor %}"
)


@dataclass(frozen=True)
class Corpus:
    """A generated source tree and how big it is."""

    root: Path
    meetings: int
    items: int
    files: int
    size: int
    """Bytes of all files."""


@dataclass(frozen=True)
class Sample:
    """One timed run: wall seconds and, for a subprocess, its peak RSS in KiB."""

    seconds: float
    max_rss_kib: int | None = None


@dataclass
class Operation:
    """A named thing to time; ``run`` gets a fresh path it may write to."""

    name: str
    run: Callable[[Path], Sample]
    samples: list[Sample] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    def minimum(self) -> float:
        return min(s.seconds for s in self.samples)

    def peak_rss_kib(self) -> int | None:
        peaks = [s.max_rss_kib for s in self.samples if s.max_rss_kib is not None]
        return max(peaks) if peaks else None


# --------------------------------------------------------------------------- corpus


def _tree_stats(root: Path) -> tuple[int, int]:
    """Number of files and their total size in bytes."""
    sizes = [p.stat().st_size for p in root.rglob("*") if p.is_file()]
    return len(sizes), sum(sizes)


def make_corpus(parent: Path, meetings: int) -> Corpus:
    """Generate ``meetings`` meetings into ``parent/corpus-<meetings>``, replacing an older one."""
    root = parent / f"corpus-{meetings}"
    if root.exists():
        if not (root / STAMP).is_file():
            raise SystemExit(f"run.py: {root} exists and was not written by run.py; remove it")
        shutil.rmtree(root)
    root.mkdir(parents=True)
    written, items = generate(root, meetings, SEED)
    (root / STAMP).write_text(f"meetings={meetings} seed={SEED}\n", encoding="utf-8")
    files, size = _tree_stats(root)
    return Corpus(root, written, items, files, size)


# --------------------------------------------------------------------------- operations


def _front_matter(text: str) -> tuple[str, str]:
    """Split an item file into its YAML and its Markdown body."""
    if not text.startswith("---\n"):
        raise ValueError("item without front matter")
    end = text.find("\n---\n", 3)
    if end < 0:
        raise ValueError("front matter not closed")
    return text[4 : end + 1], text[end + 5 :]


def floor(root: Path) -> int:
    """Read, parse and render every source the cheapest sensible way; return characters made."""
    markdown = mistune.create_markdown(escape=True, plugins=["table", "strikethrough", "url"])
    template = jinja2.Environment(autoescape=False).from_string(FLOOR_TEMPLATE)
    produced = 0
    for meeting_file in sorted(root.rglob("meeting.yaml")):
        folder = meeting_file.parent
        meta = yaml.load(meeting_file.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        parts: list[str] = []
        for item_file in sorted(folder.glob("*.md")):
            head, body = _front_matter(item_file.read_text(encoding="utf-8"))
            front = yaml.load(head, Loader=yaml.CSafeLoader)
            rendered = markdown(body)
            if not isinstance(rendered, str):
                raise TypeError("mistune did not return HTML")
            parts.append(f"<h2>{front['title']}</h2>\n{rendered}")
        produced += len(template.render(title=meta["body"], parts=parts))
    return produced


def checked_without_errors(root: Path) -> Checked:
    """``check`` the corpus, failing loudly if it reports any error."""
    checked = check([root])
    errors = [d for d in checked.diagnostics if d.severity is Severity.ERROR]
    if errors:
        first = errors[0]
        raise SystemExit(
            f"run.py: the corpus has {len(errors)} errors, first {first.path}:{first.line}: "
            f"{first.code} {first.message}"
        )
    return checked


def _timed(action: Callable[[], object]) -> Sample:
    start = time.perf_counter()
    action()
    return Sample(time.perf_counter() - start)


def run_child(command: Sequence[str], cwd: Path) -> Sample:
    """Run ``command`` to completion; its wall time and its own peak RSS (via wait4)."""
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        with subprocess.Popen(
            list(command), cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        ) as process:
            _, status, usage = os.wait4(process.pid, 0)
            elapsed = time.perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            log.seek(0)
            output = log.read().decode("utf-8", "replace")
            raise SystemExit(
                f"run.py: {' '.join(command)} exited with {process.returncode}:\n{output}"
            )
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    rss = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return Sample(elapsed, rss)


def operations(corpus: Corpus, scratch: Path) -> list[Operation]:
    """What to time for one corpus, in the order one round runs them."""
    root = corpus.root
    referat = [sys.executable, "-m", "referat"]

    def build_op(formats: list[str]) -> Callable[[Path], Sample]:
        def run(out: Path) -> Sample:
            return _timed(
                lambda: build(checked_without_errors(root).meetings, out, formats, "public")
            )

        return run

    return [
        Operation("floor (read+yaml+mistune+jinja)", lambda _: _timed(lambda: floor(root))),
        Operation("validate (check)", lambda _: _timed(lambda: checked_without_errors(root))),
        Operation("build html (check+build)", build_op(["html"])),
        Operation("build html+md+json", build_op(["html", "md", "json"])),
        Operation("CLI validate", lambda _: run_child([*referat, "validate", str(root)], scratch)),
        Operation(
            "CLI build html",
            lambda out: run_child([*referat, "build", str(root), "-o", str(out)], scratch),
        ),
    ]


def measure(ops: Sequence[Operation], repeat: int, scratch: Path) -> None:
    """Run every operation once per round, ``repeat`` rounds, each with a new output path."""
    for round_no in range(repeat):
        for index, op in enumerate(ops):
            out = scratch / f"out-{round_no}-{index}"
            try:
                op.samples.append(op.run(out))
            finally:
                shutil.rmtree(out, ignore_errors=True)
        print(f"  round {round_no + 1}/{repeat} done", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- printing


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain text table: first column left-aligned, the rest right-aligned."""
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def report(corpus: Corpus, ops: Sequence[Operation], repeat: int) -> str:
    base = ops[0].median()
    rows: list[list[str]] = []
    for op in ops:
        rss = op.peak_rss_kib()
        rows.append(
            [
                op.name,
                f"{op.median():.3f}",
                f"{op.minimum():.3f}",
                f"{op.median() / base:.2f}x",
                f"{op.median() / corpus.items * 1000:.2f}",
                "" if rss is None else f"{rss / 1024:.0f}",
            ]
        )
    title = (
        f"N = {corpus.meetings} meetings: {corpus.items} items, {corpus.files} files, "
        f"{corpus.size / 1_000_000:.1f} MB (median of {repeat})"
    )
    headers = ["operation", "median s", "min s", "x floor", "ms/item", "peak RSS MB"]
    return title + "\n" + table(headers, rows)


# --------------------------------------------------------------------------- pdf


STAGES = (
    "print HTML (print_job)",
    "layout (HTML().render)",
    "serialise (write_pdf)",
    "whole (pdf.render)",
)


@dataclass
class PdfStages:
    """Stage timings of one meeting's PDF, one list of seconds per entry of ``STAGES``."""

    label: str
    items: int
    samples: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    pages: int = 0
    size: int = 0
    """Bytes of the PDF ``pdf.render`` made."""

    def median(self, stage: str) -> float:
        return statistics.median(self.samples[stage])


def make_pdf_meeting(parent: Path, items: int) -> Path:
    """Generate one meeting with ``items`` items under ``parent``; return its folder."""
    root = parent / f"meeting-{items}-items"
    if root.exists():
        if not (root / STAMP).is_file():
            raise SystemExit(f"run.py: {root} exists and was not written by run.py; remove it")
        shutil.rmtree(root)
    folder = root / "direktionen" / START_DATE.isoformat()
    generate_meeting(folder, items, SEED)
    (root / STAMP).write_text(f"items={items} seed={SEED}\n", encoding="utf-8")
    return folder


def _only_meeting(folder: Path) -> Meeting:
    meetings = checked_without_errors(folder).meetings
    if len(meetings) != 1:
        raise SystemExit(f"run.py: expected one meeting in {folder}, found {len(meetings)}")
    return meetings[0]


def measure_pdf_stages(label: str, folder: Path, repeat: int) -> PdfStages:
    """Time print_job, WeasyPrint's layout, its PDF serialisation and pdf.render on one meeting."""
    weasyprint = pdf.engine()
    meeting = _only_meeting(folder)
    doc = make_document(meeting, "public")
    # As build() does: the meeting's own templates, if its config names any, in front.
    env = environment(tuple(p for p in (meeting.config.templates,) if p is not None))
    stages = PdfStages(label, len(meeting.items))
    times = stages.samples
    for round_no in range(repeat):
        start = time.perf_counter()
        job = pdf.print_job(doc, env)
        times[STAGES[0]].append(time.perf_counter() - start)

        # The same HTML object pdf.render makes: parsing, CSS and layout. pdf_variant only
        # sets pdf_version and pdf_tags, which the layout does not read, so it is left out.
        start = time.perf_counter()
        fetcher = weasyprint.urls.URLFetcher(allowed_protocols=())
        rendered = weasyprint.HTML(string=job.html, url_fetcher=fetcher, base_url="").render()
        times[STAGES[1]].append(time.perf_counter() - start)

        start = time.perf_counter()
        serialised = rendered.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=True)
        times[STAGES[2]].append(time.perf_counter() - start)
        if not isinstance(serialised, bytes):
            raise TypeError("write_pdf did not return bytes")
        stages.pages = len(rendered.pages)
        del rendered, serialised  # so (d) does not run with (b)'s boxes still in memory

        start = time.perf_counter()
        data = pdf.render(job)
        times[STAGES[3]].append(time.perf_counter() - start)

        stages.size = len(data)
        print(f"  {label}: round {round_no + 1}/{repeat} done", file=sys.stderr, flush=True)
    return stages


def pdf_stage_report(results: Sequence[PdfStages], repeat: int) -> str:
    rows: list[list[str]] = []
    for r in results:
        whole = r.median(STAGES[3])
        rows.append(
            [
                r.label,
                str(r.items),
                str(r.pages),
                f"{r.median(STAGES[0]) * 1000:.1f}",
                f"{r.median(STAGES[1]):.3f}",
                f"{r.median(STAGES[2]):.3f}",
                f"{r.median(STAGES[1]) + r.median(STAGES[2]):.3f}",
                f"{whole:.3f}",
                f"{100 * r.median(STAGES[1]) / whole:.0f}%",
                f"{whole / r.pages * 1000:.0f}",
                f"{r.size / 1024:.0f}",
            ]
        )
    headers = [
        "meeting",
        "items",
        "pages",
        "(a) print_job ms",
        "(b) layout s",
        "(c) write_pdf s",
        "b+c s",
        "(d) pdf.render s",
        "b/d",
        "d ms/page",
        "PDF KiB",
    ]
    title = (
        f"PDF writer stages, public edition (median of {repeat}); "
        "(b) = weasyprint.HTML(...).render(): parse + CSS + layout, "
        "(c) = Document.write_pdf(pdf/ua-1): serialisation, font subsetting, tagging"
    )
    return title + "\n" + table(headers, rows)


@dataclass
class PdfBuilds:
    """Cold builds and rebuilds of one set of meetings as PDF."""

    label: str
    meetings: int
    items: int
    cold: list[float] = field(default_factory=list)
    rebuild: list[float] = field(default_factory=list)
    cold_laid_out: int = 0
    rebuild_laid_out: int = 0


def measure_pdf_builds(
    label: str, meetings: Sequence[Meeting], repeat: int, scratch: Path
) -> PdfBuilds:
    """``build`` into a fresh OUT, then again into the same OUT; only build() is timed."""
    result = PdfBuilds(label, len(meetings), sum(len(m.items) for m in meetings))
    for round_no in range(repeat):
        out = scratch / f"out-pdf-{label}-{round_no}"
        shutil.rmtree(out, ignore_errors=True)
        try:
            start = time.perf_counter()
            cold: Built = build(meetings, out, ["pdf"], "public")
            result.cold.append(time.perf_counter() - start)
            start = time.perf_counter()
            again: Built = build(meetings, out, ["pdf"], "public")
            result.rebuild.append(time.perf_counter() - start)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        if cold.pdfs_laid_out != len(meetings):
            raise SystemExit(
                f"run.py: a cold build of {label} laid out {cold.pdfs_laid_out} PDFs, "
                f"expected {len(meetings)}"
            )
        if again.pdfs_laid_out != 0:
            raise SystemExit(
                f"run.py: rebuilding {label} unchanged laid out {again.pdfs_laid_out} PDFs, "
                "expected 0"
            )
        result.cold_laid_out = cold.pdfs_laid_out
        result.rebuild_laid_out = again.pdfs_laid_out
        print(f"  build {label}: round {round_no + 1}/{repeat} done", file=sys.stderr, flush=True)
    return result


def pdf_build_report(results: Sequence[PdfBuilds], repeat: int) -> str:
    rows: list[list[str]] = []
    for r in results:
        cold = statistics.median(r.cold)
        rebuild = statistics.median(r.rebuild)
        rows.append(
            [
                r.label,
                str(r.meetings),
                str(r.items),
                f"{cold:.3f}",
                f"{rebuild:.3f}",
                f"{rebuild / cold:.4f}",
                f"{cold / r.meetings:.2f}",
                str(r.cold_laid_out),
                str(r.rebuild_laid_out),
            ]
        )
    headers = [
        "build -f pdf",
        "meetings",
        "items",
        "cold s",
        "rebuild s",
        "rebuild/cold",
        "cold s/meeting",
        "pdfs_laid_out cold",
        "pdfs_laid_out rebuild",
    ]
    title = (
        f"Whole PDF builds, public edition (median of {repeat}): build() into a fresh OUT, "
        "then again into the same OUT with nothing changed (meetings checked once, untimed)"
    )
    return title + "\n" + table(headers, rows)


def run_pdf(scratch: Path, repeat: int) -> None:
    """Everything --pdf measures, printed as two tables."""
    try:
        weasyprint = pdf.engine()
    except pdf.PdfUnavailable as err:
        raise SystemExit(f"run.py: {err}") from None
    print(f"WeasyPrint {weasyprint.__version__}", flush=True)
    print("generating the PDF inputs ...", file=sys.stderr, flush=True)
    generated = make_pdf_meeting(scratch, PDF_ITEMS)
    corpus = make_corpus(scratch, PDF_CORPUS)

    stages = [
        measure_pdf_stages(f"seed {SEED_MEETING.name}", SEED_MEETING, repeat),
        measure_pdf_stages(f"generated {PDF_ITEMS} items", generated, repeat),
    ]
    print()
    print(pdf_stage_report(stages, repeat), flush=True)

    builds = [
        measure_pdf_builds("seed", checked_without_errors(SEED_MEETING).meetings, repeat, scratch),
        measure_pdf_builds(
            f"corpus-{PDF_CORPUS}", checked_without_errors(corpus.root).meetings, repeat, scratch
        ),
    ]
    print()
    print(pdf_build_report(builds, repeat), flush=True)


# --------------------------------------------------------------------------- profile


def _where(code: object) -> str:
    """``package/module.py:line(function)`` for a code object; built-ins as cProfile names them."""
    if not isinstance(code, types.CodeType):
        return str(code)
    path = Path(code.co_filename)
    return f"{path.parent.name}/{path.name}:{code.co_firstlineno}({code.co_name})"


def profile_build(corpus: Corpus, scratch: Path, top: int = 25) -> None:
    """cProfile one in-process check+build (html) and print the top functions."""
    out = scratch / "out-profile"
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        build(checked_without_errors(corpus.root).meetings, out, ["html"], "public")
        profiler.disable()
    finally:
        shutil.rmtree(out, ignore_errors=True)
    entries = profiler.getstats()
    total = sum(e.inlinetime for e in entries)
    headers = ["function", "calls", "own s", "cum s", "cum %"]

    def rows(key: Callable[[_lsprof.profiler_entry], float]) -> list[list[str]]:
        chosen = sorted(entries, key=key, reverse=True)[:top]
        return [
            [
                _where(e.code),
                str(e.callcount),
                f"{e.inlinetime:.3f}",
                f"{e.totaltime:.3f}",
                f"{100 * e.totaltime / total:.1f}",
            ]
            for e in chosen
        ]

    print(
        f"\nProfile of one check+build html, N = {corpus.meetings} "
        f"({total:.2f} s under cProfile): top {top} by cumulative time"
    )
    print(table(headers, rows(lambda e: e.totaltime)))
    print(f"\nTop {top} by own (internal) time")
    print(table(headers, rows(lambda e: e.inlinetime)))


# --------------------------------------------------------------------------- main


@contextmanager
def workspace(workdir: Path | None) -> Iterator[Path]:
    """``workdir`` (created if missing), or a temporary folder removed afterwards."""
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        yield workdir.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="referat-bench-") as temp:
        yield Path(temp)


def startup(scratch: Path) -> str:
    bare = run_child([sys.executable, "-c", "pass"], scratch)
    imported = run_child([sys.executable, "-c", "import referat.cli"], scratch)
    return (
        f"start-up: python -c 'import referat.cli' {imported.seconds:.3f} s, "
        f"{(imported.max_rss_kib or 0) / 1024:.0f} MB peak RSS "
        f"(bare interpreter {bare.seconds:.3f} s)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--meetings",
        type=int,
        nargs="+",
        metavar="N",
        help="corpus sizes to measure (default: 50 500; not with --pdf)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="rounds per size (default 5)")
    parser.add_argument(
        "--workdir", type=Path, help="write corpora and outputs here instead of a temp folder"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile one build of the largest corpus"
    )
    parser.add_argument(
        "--pdf",
        action="store_true",
        help=(
            "measure the PDF writer instead of validate and the other builds: the stages "
            f"of one PDF for {SEED_MEETING.parent.name}/{SEED_MEETING.name} and a generated "
            f"{PDF_ITEMS}-item meeting, and whole PDF builds, cold and rebuilt unchanged, of "
            f"that seed meeting and a {PDF_CORPUS}-meeting corpus (fixed sizes: no --meetings, "
            "no --profile; the start-up line is skipped)"
        ),
    )
    args = parser.parse_args(argv)
    if args.pdf and (args.meetings is not None or args.profile):
        parser.error("--pdf measures fixed inputs: leave out --meetings and --profile")
    sizes: list[int] = args.meetings if args.meetings is not None else [50, 500]
    repeat: int = args.repeat
    if repeat < 1 or any(n < 1 for n in sizes):
        parser.error("--meetings and --repeat must be 1 or more")

    print(
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, libyaml {'yes' if yaml.__with_libyaml__ else 'no'}, "
        f"mistune {mistune.__version__}, jinja2 {jinja2.__version__}"
    )
    with workspace(args.workdir) as scratch:
        if args.pdf:
            run_pdf(scratch, repeat)
            return 0
        print(startup(scratch))
        largest: Corpus | None = None
        for n in sizes:
            print(f"generating {n} meetings ...", file=sys.stderr, flush=True)
            corpus = make_corpus(scratch, n)
            ops = operations(corpus, scratch)
            measure(ops, repeat, scratch)
            print()
            print(report(corpus, ops, repeat), flush=True)
            if largest is None or corpus.meetings > largest.meetings:
                largest = corpus
        if args.profile and largest is not None:
            profile_build(largest, scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
