"""Every repository path cited in the code and the docs exists.

A citation is a token that starts with a top-level folder (``python/``, ``cpp/``, ``tests/``,
...) or ends with ``.md``. Each is checked relative to the repository root. A ``.md`` token is
also tried relative to the citing file's folder (relative links between docs pages), and a bare
page name (``catalogue.md``, as in ``ROOT / "docs" / "catalogue.md"``) also in ``docs/``. The
team's design notes and the folder they came from live outside the repository, so naming them
is an error too.

What is skipped, and why (each is a named rule in ``classify``):

- URLs are cut out of a line before matching: ``https://host/docs/x.md`` is not ours.
- Absolute paths (``/usr/...``) and paths that climb out of a folder without reaching the root
  are not repository paths.
- Patterns are not paths. A token with a glob character (``tests/*/test_G.py``) or a
  placeholder part (``python/phasegrad/ops/G.py``: a single capital letter between
  separators, or ``{name}`` / ``<name>``) is checked only up to its last literal folder, which
  must exist.
- A line that ends with the comment ``# path-check: example`` is an example of a bad citation
  on purpose (this file's own tests of the matcher) and is not scanned.

Runs without the compiled core: it reads files only.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Top-level folders whose names start a citation. ``shared`` is listed so that a citation of
#: it is found; it never exists in the repository, so such a citation always fails.
TOP_FOLDERS = ("python", "cpp", "tests", "bench", "docs", "examples", "scripts", "shared")

#: What is scanned: each area is one test case, so a failure says whose files need fixing.
AREAS = ("README.md", "docs", "python", "cpp", "tests", "bench", "examples", "scripts")

#: Names that must not appear at all (built from parts so this file does not cite them).
FORBIDDEN = (
    (re.compile(re.escape("DESIGN" + ".md")), "names the team's design notes, outside the "
     "repository: cite docs/design.md"),
    (re.compile(r"(?<![\w-])" + "shared" + "/"), "names a folder outside the repository; "
     "the hologram question is docs/hologram-question.md"),
)

EXAMPLE_MARKER = "# path-check: example"
URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://\S+")
# A token is a maximal run of these characters; anything else (space, quote, backtick,
# parenthesis, bracket, comma, colon) ends it.
TOKEN = re.compile(r"[\w./*?{}<>-]+")
TRAILING = ".-"  # sentence punctuation and dashes glued to the end of a token
GLOB_CHARS = set("*?")
PLACEHOLDER_PART = re.compile(r"(?:^|[_*])[A-Z](?:$|[_*.])|\{[^}]*\}|<[^>]*>")


def tracked_files():
    """Repository files, relative to the root: git's list when there is one, else a walk."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                                check=True).stdout.decode()
        names = [name for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        names = []
        for folder, subfolders, files in os.walk(ROOT):
            subfolders[:] = [s for s in subfolders if not s.startswith(".")
                             and s not in ("build", "__pycache__")]
            names += [os.path.relpath(os.path.join(folder, f), ROOT) for f in files]
    return sorted(Path(name) for name in names if (ROOT / name).is_file())


def in_area(path, area):
    return path == Path(area) if area.endswith(".md") else path.parts[0] == area


def read_text(path):
    """The file's text, or None for a binary file."""
    data = (ROOT / path).read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def is_pattern(token):
    """A glob or a placeholder (``G``, ``{name}``, ``<name>``): a rule, not a path."""
    return any(c in GLOB_CHARS for c in token) or any(
        PLACEHOLDER_PART.search(part) for part in token.split("/"))


def literal_folder(token):
    """The folders of a pattern before its first glob or placeholder part."""
    parts = []
    for part in token.split("/")[:-1]:
        if is_pattern(part):
            break
        parts.append(part)
    return "/".join(parts)


def classify(token, citing_file):
    """None when ``token`` is fine (or not a citation); else why it fails."""
    token = token.rstrip(TRAILING).removeprefix("./")
    starts_top = token.split("/")[0] in TOP_FOLDERS and "/" in token
    if not (starts_top or token.endswith(".md")) or token == ".md":
        return None                                           # not a citation
    if token.startswith("/"):
        return None                                           # absolute: not a repository path
    if is_pattern(token):
        folder = literal_folder(token)
        if folder and not (ROOT / folder).is_dir():
            return f"pattern under a missing folder {folder}/"
        return None
    candidates = [ROOT / token]
    if not starts_top:
        candidates.append(ROOT / citing_file.parent / token)
    if "/" not in token:
        candidates.append(ROOT / "docs" / token)
    for candidate in candidates:
        resolved = candidate.resolve()
        if not resolved.is_relative_to(ROOT):
            return None                                       # climbs out: not ours
        if resolved.exists():
            return None
    return "does not exist"


def findings(area):
    """``file:line: token (why)`` for every bad citation in the area's files."""
    found = []
    for path in tracked_files():
        if not in_area(path, area):
            continue
        text = read_text(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if line.rstrip().endswith(EXAMPLE_MARKER):
                continue
            line = URL.sub(" ", line)
            tokens = list(TOKEN.finditer(line))
            flagged = set()               # tokens already reported as forbidden
            for pattern, why in FORBIDDEN:
                for match in pattern.finditer(line):
                    token = next((t for t in tokens if t.start() <= match.start() < t.end()),
                                 match)
                    flagged.add(token.span())
                    found.append(f"{path}:{number}: {token.group(0).rstrip(TRAILING)} ({why})")
            for match in tokens:
                if match.span() in flagged:
                    continue
                why = classify(match.group(0), path)
                if why:
                    found.append(f"{path}:{number}: {match.group(0).rstrip(TRAILING)} ({why})")
    return found


@pytest.mark.parametrize("area", AREAS)
def test_cited_paths_exist(area):
    bad = findings(area)
    if bad:
        pytest.fail(f"{len(bad)} citation(s) in {area} name paths that do not exist or lie "
                    "outside the repository:\n" + "\n".join(bad), pytrace=False)


def test_the_matcher_on_examples():
    """The rules above, on tokens whose answer is known."""
    page, code = Path("docs/design.md"), Path("tests/test_docs_paths.py")
    assert classify("README.md", page) is None                   # exists at the root
    assert classify("docs/catalogue.md", page) is None           # exists
    assert classify("catalogue.md", page) is None                # next to the citing page
    assert classify("catalogue.md", code) is None                # a bare page name: in docs/
    assert classify("../README.md", page) is None                # relative, climbs to the root
    assert classify("tests/", page) is None                      # a folder
    assert classify("docs/catalogue.md.", page) is None          # sentence full stop
    assert classify("tests/*/test_G.py", page) is None           # glob and placeholder
    assert classify("tests/{name}/x.py", page) is None           # placeholder
    assert classify("phasegrad-out/demo.png", page) is None      # not a top-level folder
    assert classify("/usr/include/fftw3.h", page) is None        # absolute
    assert classify("docs/missing-page.md", page) == "does not exist"  # path-check: example
    assert classify("tests/no_such_test.py", page) == "does not exist"  # path-check: example
    assert classify("NOTES.md", code) == "does not exist"        # path-check: example
    missing_folder = classify("python/phasegrad/nowhere/G.py", page)  # path-check: example
    assert missing_folder.startswith("pattern under a missing folder")
    line = "see https://example.org/docs/a.md"
    assert not [m for m in TOKEN.finditer(URL.sub(" ", line)) if classify(m.group(0), page)]
    assert [why for pattern, why in FORBIDDEN if pattern.search("shared" + "/seeds/q.txt")]
