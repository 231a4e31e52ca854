"""The peer a build is compared with: a lean pipeline that only tokenizes and indexes.

    python scripts/peer_pipeline.py CORPUS_DIR DB_PATH

SudachiPy (core dictionary, split mode A) over every non-blank line of every article,
one row per morpheme (surface, normalized form, reading, part of speech, offsets)
written with sqlite3 executemany, and an FTS5 index of each line's normalized forms,
in one process. No parsing, no knowledge layers: what any tool that tokenizes and
indexes the same texts must at least spend. Prints {"seconds": ..., "chars": ...}.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

from sudachipy import Dictionary, SplitMode

CHUNK_CHARS = 4000  # Sudachi accepts at most ~49 KB of UTF-8 per call


def run(corpus: Path, db_path: Path) -> dict:
    started = time.perf_counter()
    tokenizer = Dictionary(dict="core").tokenizer(mode=SplitMode.A)
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE lines (id INTEGER PRIMARY KEY, article TEXT, start INTEGER, text TEXT)")
    conn.execute("CREATE TABLE tokens (line_id INTEGER, position INTEGER, surface TEXT, normalized_form TEXT, "
                 "reading TEXT, pos TEXT, start INTEGER, end INTEGER)")
    conn.execute("CREATE VIRTUAL TABLE lines_fts USING fts5(terms)")
    chars, line_id = 0, 0
    for path in sorted((corpus / "articles").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        chars += len(text)
        lines, tokens, fts = [], [], []
        offset = 0
        for line in text.splitlines(keepends=True):
            content = line.strip()
            if content:
                line_id += 1
                lines.append((line_id, path.stem, offset, content))
                forms = []
                for chunk_start in range(0, len(content), CHUNK_CHARS):
                    for position, m in enumerate(tokenizer.tokenize(content[chunk_start:chunk_start + CHUNK_CHARS])):
                        pos = m.part_of_speech()
                        tokens.append((line_id, position, m.surface(), m.normalized_form(), m.reading_form(),
                                       pos[0], chunk_start + m.begin(), chunk_start + m.end()))
                        if pos[0] not in ("補助記号", "空白"):
                            forms.append(m.normalized_form())
                fts.append((line_id, " ".join(forms)))
            offset += len(line)
        conn.executemany("INSERT INTO lines VALUES (?, ?, ?, ?)", lines)
        conn.executemany("INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?)", tokens)
        conn.executemany("INSERT INTO lines_fts (rowid, terms) VALUES (?, ?)", fts)
    conn.commit()
    conn.close()
    return {"seconds": time.perf_counter() - started, "chars": chars}


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]), Path(sys.argv[2]))))
