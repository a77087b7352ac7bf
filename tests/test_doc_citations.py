"""The product docs are cited by name (README "Product docs"), never by their file number as "seed 00N": dbt's own
word *seed* means something else."""

from __future__ import annotations

import os
import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# What is not the project's own text: environments, build output, caches, logs (as .gitignore says).
SKIPPED_DIRS = {".git", ".venv", ".reelhouse", "target", "logs", "dbt_packages", "__pycache__", ".pytest_cache",
                ".ruff_cache", "test-artifacts", "node_modules"}
# The word, then 001, "s 000 and 004", "-002", "_003": spelled in parts in this file, which must not match itself.
WORD = "se" + "ed"
NUMBER_CITATION = re.compile(WORD + r"s?[ _-]?0[0-4]{2}", re.IGNORECASE)
SHORT_NAMES = ("the Dashboard Proposal", "the Creator Dashboard doc", "the Production Requirements doc",
               "the Video Ready spec", "the Admin Analytics Plan")


def number_citations(root: Path) -> list[str]:
    """`path:line: text` of every citation by file number in the text files under root (`path: in the file name` for
    a file named so)."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            path = Path(folder) / name
            relative = path.relative_to(root)
            if NUMBER_CITATION.search(str(relative)):
                found.append(f"{relative}: in the file name")
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue  # not text
            for number, line in enumerate(text.splitlines(), 1):
                if NUMBER_CITATION.search(line):
                    found.append(f"{relative}:{number}: {line.strip()[:120]}")
    return sorted(found)


def test_no_product_doc_is_cited_by_its_file_number():
    found = number_citations(REPO_ROOT)
    assert found == [], ("cite the product docs by the names in README's Product docs table, not by number:\n  "
                         + "\n  ".join(found))


def test_readme_defines_every_short_name_once():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Product docs", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `00")]
    assert [row.rsplit("|", 2)[1].strip() for row in rows] == list(SHORT_NAMES)


def test_the_check_finds_a_citation_by_number(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.yml").write_text(f"description: Engagement tier of {WORD} 001.\n")
    (tmp_path / "models" / "b.sql").write_text("-- the Creator Dashboard doc, 02:00 UTC\nselect 1\n")
    (tmp_path / f"test_{WORD}_004_numbers.py").write_text("def test_x():\n    pass\n")
    (tmp_path / "README.md").write_text(f"Week-over-week ({WORD.title()}s 000 and 004).\n")
    for skipped in (".venv", "target", "x.egg-info"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "c.txt").write_text(f"{WORD}-002\n")
    (tmp_path / "binary.bin").write_bytes(b"\xff\xfe " + f"{WORD} 003".encode())
    assert [citation.split(": ", 1)[0] for citation in number_citations(tmp_path)] == [
        "README.md:1", "models/a.yml:1", f"test_{WORD}_004_numbers.py"]
