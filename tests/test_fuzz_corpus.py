"""The fuzz corpus, replayed without atheris: every input through every target's invariants.

tests/fuzz/corpus/<target>/ holds the seed inputs of each fuzz target and what the fuzzer
found worth keeping (see tests/fuzz/run.py). Each file goes through all three checks of
tests/fuzz/fuzz_targets.py, which must pass, and quickly: a slow input is a pathological
case. Files named ``bug-*`` reproduce known bugs and are expected to fail until fixed; the
others are checked with those bugs' invariants skipped where an input shows them, as the
fuzzer does (``fuzz_targets.KNOWN_BUGS``).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .fuzz import fuzz_targets
from .fuzz.fuzz_targets import CHECKS

CORPUS = Path(__file__).resolve().parent / "fuzz" / "corpus"
FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file())
#: Time one input may take in one check; the largest seed (the whole referat) takes ~0.05 s.
SECONDS = 1.0

#: (file in the corpus, check) -> why it fails; xfail(strict=True), so a fix shows up.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def cases() -> list[object]:
    out: list[object] = []
    for path in FILES:
        rel = path.relative_to(CORPUS).as_posix()
        for name in CHECKS:
            reason = KNOWN_BUGS.get((rel, name))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(path, name, id=f"{rel}:{name}", marks=marks))
    return out


@pytest.mark.parametrize(("path", "check"), cases())
def test_corpus_input_keeps_the_invariants(
    path: Path, check: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not path.name.startswith("bug-"):
        # Other inputs are checked for everything but the known bugs, as while fuzzing;
        # each known bug has its own reproducer, which fails.
        monkeypatch.setattr(fuzz_targets, "SKIP_KNOWN", set(fuzz_targets.KNOWN_BUGS))
    data = path.read_bytes()
    started = time.perf_counter()
    CHECKS[check](data)
    seconds = time.perf_counter() - started
    assert seconds < SECONDS, f"took {seconds:.1f} s"


def test_every_target_has_a_corpus() -> None:
    for name in CHECKS:
        assert len(list((CORPUS / name).iterdir())) >= 5, name


def test_known_bugs_name_files_that_exist() -> None:
    for rel, check in KNOWN_BUGS:
        assert (CORPUS / rel).is_file() and check in CHECKS, rel
