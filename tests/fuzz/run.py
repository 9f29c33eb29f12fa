"""Fuzz referat's parsers with atheris, for a bounded time: ``tests/fuzz/run.py --seconds 20``.

Each target of ``fuzz_targets.py`` runs in its own process for ``--seconds`` seconds, starting
from its seed corpus in ``tests/fuzz/corpus/<target>/`` (which it only reads). New inputs that
reach new code go to ``WORK/<target>/corpus/``, inputs that break an invariant to
``WORK/<target>/crash-*`` (``timeout-*``, ``oom-*``); WORK defaults to a new temporary folder
and is printed. The exit status is 1 when any target found a problem. Inputs that show one
of the known bugs (``fuzz_targets.KNOWN_BUGS``) are let through unless ``--find-known``.
To keep an input as test data, copy it into the seed corpus (``tests/test_fuzz_corpus.py``
replays all of them), or give ``--merge`` to add every new input that reaches new code.

Needs atheris (``pip install atheris``), which the ``test`` extra does not include.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = ("front_matter", "sections", "importer")
#: Longest time one check may take on an input that a merge adds to a seed corpus.
REPLAY_SECONDS = 0.25


def main(argv: list[str] | None = None) -> int:
    """Run the chosen targets one after another; 1 when any of them found a problem."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="time per target (default 20)")
    parser.add_argument(
        "--target", action="append", choices=TARGETS, help="target to run; repeatable (default all)"
    )
    parser.add_argument("--work", type=Path, help="folder for new inputs and crashes")
    parser.add_argument(
        "--timeout", type=int, default=10, help="seconds one input may take (default 10)"
    )
    parser.add_argument("--max-len", type=int, default=8192, help="longest input (bytes)")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="afterwards add the new inputs that reach new code to the seed corpus",
    )
    parser.add_argument(
        "--find-known",
        action="store_true",
        help="also stop at the known bugs (fuzz_targets.KNOWN_BUGS) instead of skipping them",
    )
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="referat-fuzz-"))
    failed: list[str] = []
    for target in args.target or TARGETS:
        found = work / target
        (found / "corpus").mkdir(parents=True, exist_ok=True)
        # libFuzzer runs itself again for -merge (and -fork, -minimize_crash): give it a
        # command it can run, which fuzz_targets.py hands to it as argv[0].
        wrapper = found / "fuzz"
        known = " --find-known" if args.find_known else ""
        wrapper.write_text(
            "#!/bin/sh\n"
            'REFERAT_FUZZ_SELF="$0"; export REFERAT_FUZZ_SELF\n'
            f"exec {shlex.quote(sys.executable)} {shlex.quote(str(HERE / 'fuzz_targets.py'))} "
            f'{target}{known} "$@"\n',
            encoding="utf-8",
        )
        wrapper.chmod(0o755)
        seeds = HERE / "corpus" / target
        options = [f"-timeout={args.timeout}", f"-max_len={args.max_len}", "-rss_limit_mb=2048"]
        command = [
            str(wrapper),
            str(found / "corpus"),
            str(seeds),
            f"-max_total_time={args.seconds}",
            *options,
            f"-artifact_prefix={found}/",
            "-print_final_stats=1",
        ]
        print(f"== {target}: {args.seconds} s", flush=True)
        status = subprocess.run(command, check=False).returncode
        problems = sorted(p for p in found.iterdir() if p.is_file() and p != wrapper)
        if status != 0 or problems:
            failed.append(target)
            for problem in problems:
                print(f"   {target}: {problem}", flush=True)
        elif args.merge:
            before = set(seeds.iterdir())
            # New code, not new hit counts: a few inputs rather than hundreds.
            merge = [str(wrapper), "-merge=1", "-use_counters=0", *options, str(seeds)]
            merge.append(str(found / "corpus"))
            subprocess.run(merge, check=True, capture_output=True)
            added = sorted(set(seeds.iterdir()) - before)
            kept = keep_for_replay(added, found / "rejected")
            print(f"   {target}: {len(kept)} inputs added to {seeds}")
    print(f"work folder: {work}")
    if failed:
        print("problems found by: " + ", ".join(failed))
        return 1
    print("no problems found")
    return 0


def keep_for_replay(added: list[Path], rejected: Path) -> list[Path]:
    """Of the inputs a merge added to a seed corpus, those the replay can check quickly.

    tests/test_fuzz_corpus.py replays every corpus file through every check (known bugs
    skipped, as while fuzzing) within a time limit; inputs that fail a check there or take
    long (lines that show the importer's known quadratic regexes) move to ``rejected``.
    """
    sys.path.insert(0, str(HERE.parent.parent))
    from tests.fuzz.fuzz_targets import CHECKS, KNOWN_BUGS, SKIP_KNOWN

    SKIP_KNOWN.update(KNOWN_BUGS)
    kept = []
    for path in added:
        data = path.read_bytes()
        try:
            for check in CHECKS.values():
                started = time.perf_counter()
                check(data)
                if time.perf_counter() - started > REPLAY_SECONDS:
                    raise TimeoutError(f"{check.__name__} took long")
        except Exception as err:
            rejected.mkdir(parents=True, exist_ok=True)
            shutil.move(path, rejected / path.name)
            print(f"   not kept ({type(err).__name__}: {err}): {rejected / path.name}")
        else:
            kept.append(path)
    return kept


if __name__ == "__main__":
    sys.exit(main())
