"""Decoding article text files without losing a byte of what is stored.

The text is kept exactly as stored: a UTF-8 BOM stays as U+FEFF and CRLF stays CRLF,
so offsets hold against the file itself. Anything that is not text is refused.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from quotekb.errors import InputError, brief

# Interview articles are tens of kilobytes; past this a file is almost surely not one,
# and refusing early keeps a build's memory bounded (files.read_bounded stops reading
# one byte past it).
MAX_ARTICLE_BYTES = 16 * 1024 * 1024


def _line_at(raw: bytes, index: int) -> int:
    return raw.count(b"\n", 0, index) + 1


def _empty(path: Path) -> InputError:
    return InputError(path, "text file is empty", "put the article text in it or remove it with its YAML")


def _binary(path: Path, line: int) -> InputError:
    return InputError(path, "binary content (NUL byte)", "save the article as a UTF-8 text file", line=line)


def _checked(text: str, encoding: str, path: Path) -> tuple[str, str]:
    # whitespace the byte test cannot see: ideographic spaces, a lone BOM
    if not text.strip(" \t\r\n\u3000\ufeff\u00a0"):
        raise _empty(path)
    # after decoding, whatever the encoding: UTF-16 text has NUL bytes that are not
    # NUL characters, and a NUL character is never article text
    nul = text.find("\x00")
    if nul >= 0:
        raise _binary(path, text.count("\n", 0, nul) + 1)
    return text, encoding


def decode_article(raw: bytes, path: Path, encoding: str | None, yaml_path: Path) -> tuple[str, str]:
    """Return (text, encoding name) or raise InputError."""
    if not raw.strip():
        raise _empty(path)
    nul = raw.find(b"\x00")
    if nul >= 0 and encoding is None:
        raise _binary(path, _line_at(raw, nul))
    if encoding is not None:
        try:
            # utf-8-sig would drop the BOM; kept as U+FEFF, offsets hold against the file
            codec = "utf-8" if codecs.lookup(encoding).name == "utf-8-sig" else encoding
            return _checked(raw.decode(codec), encoding, path)
        except LookupError:
            raise InputError(
                yaml_path, f"unknown encoding {brief(encoding)}", "use a Python codec name such as cp932"
            ) from None
        except UnicodeDecodeError as exc:
            raise InputError(
                path, f"not valid {encoding} at byte {exc.start}",
                "fix the encoding: key in the YAML", line=_line_at(raw, exc.start),
            ) from None
    try:
        return _checked(raw.decode("utf-8"), "utf-8", path)
    except UnicodeDecodeError as exc:
        bad_line = _line_at(raw, exc.start)
    try:
        raw.decode("cp932")
    except UnicodeDecodeError:
        raise InputError(
            path, "text is not UTF-8 and its encoding is unknown", "convert it to UTF-8",
            line=bad_line,
        ) from None
    raise InputError(
        path, "text is Shift_JIS/CP932, not UTF-8",
        f"convert it (iconv -f CP932 -t UTF-8) or add 'encoding: cp932' to {yaml_path.name}",
        line=bad_line,
    )
