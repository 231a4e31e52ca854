"""Article text -> structure with exact character offsets.

Front matter (header, title, date, boilerplate, byline, summary, lead, key points,
notes) is recognised line by line from the article YAML and generic patterns; the
interview part is split into numbered sections, speaker turns and sentences. Every
span is a pair of code-point offsets into the text as stored, and the segments tile it.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field

from quotekb.errors import InputError
from quotekb.ingest.corpus import Article, Speaker
from quotekb.parse.labels import LabelMatcher, discover_labels
from quotekb.parse.sentences import QUOTATIVE, STRIP, is_question, split_sentences

LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")
SECTION_NUMBER = re.compile(r"^(?:第\s*)?([0-9０-９]{1,3})(?:\s*章)?$")
KEY_POINT = re.compile(r"^([0-9０-９]{1,2})\s*[.．)）、]\s*")
BYLINE = re.compile(r"^(著者|筆者|文|記者|編集者|編集|翻訳|取材|構成|撮影|写真|出典|source)\s*[|｜:：/／]\s*\S")
DATE = re.compile(r"^\d{4}(?:[-/.]\d{1,2}[-/.]\d{1,2}|年\d{1,2}月\d{1,2}日)$")
# Section headings are titles: a line ending like a sentence is text, not a heading.
SENTENCE_END = ("。", "．", "？", "?", "！", "!", "」", "）")
MAX_HEADING_LINES = 3
LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass
class Line:
    number: int  # 1-based
    start: int  # content start (after leading whitespace)
    end: int  # content end (before trailing whitespace and the line break)

    def text(self, source: str) -> str:
        return source[self.start : self.end]


@dataclass
class ParsedSegment:
    kind: str
    start: int
    end: int
    line: int


@dataclass
class ParsedSection:
    number: int
    start: int
    line: int
    end: int = 0
    heading_lines: list[Line] = field(default_factory=list)


@dataclass
class ParsedTurn:
    kind: str
    speaker_id: str
    section: int | None  # index into sections
    label: str | None
    paragraphs: list[tuple[int, int]] = field(default_factory=list)
    line: int | None = None  # where the turn's label (or first line) is

    @property
    def start(self) -> int:
        return self.paragraphs[0][0]

    @property
    def end(self) -> int:
        return self.paragraphs[-1][1]


@dataclass
class ParsedSentence:
    turn: int  # index into turns
    position_in_turn: int
    kind: str
    start: int
    end: int


@dataclass
class ParsedKeyPoint:
    number: int
    start: int
    end: int
    line: int


@dataclass
class ParsedDocument:
    article: Article
    segments: list[ParsedSegment]
    sections: list[ParsedSection]
    turns: list[ParsedTurn]
    sentences: list[ParsedSentence]
    key_points: list[ParsedKeyPoint]
    discovered_labels: dict[str, str] = field(default_factory=dict)  # label -> speaker id


def split_lines(text: str) -> list[Line]:
    lines = []
    for number, m in enumerate(LINE.finditer(text), start=1):
        if m.start() == m.end():
            break
        body = m.group(0).rstrip("\r\n")
        lead = len(body) - len(body.lstrip(STRIP + "\u00a0"))
        content = body.strip(STRIP + "\u00a0")
        start = m.start() + lead
        lines.append(Line(number, start, start + len(content)))
    return lines


def speaker_names(speakers: dict[str, Speaker]) -> dict[str, set[str]]:
    """Every registered name and alias -> the ids of the speakers it names (usually one)."""
    holders: dict[str, set[str]] = {}
    for speaker in speakers.values():
        for name in (speaker.name, *speaker.aliases):
            holders.setdefault(name, set()).add(speaker.id)
    return holders


def _named(label: str, holders: dict[str, set[str]]) -> set[str]:
    """Who a label names: a registered name or alias, else a surname that begins names."""
    return holders.get(label) or {sid for name, named in holders.items() if name.startswith(label) for sid in named}


# JSON (which is YAML) for the hint; InputError folds whitespace runs into one space,
# so any other whitespace in a label is escaped to survive being printed
_FOLDED = re.compile(r"(?<= ) |[^\S ]")


def discover(lines: list[str], holders: dict[str, set[str]], label_names: frozenset[str],
             article: Article) -> dict[str, str]:
    """Labels that repeat at line starts -> speaker ids, when the YAML lists none.

    A registered name alone on its line is a label unless its speaker already has a
    label marked with a colon or 【】: then it is a caption (山田太郎氏 under a photo,
    beside 山田: labels). Labels that name nobody, or several people, are an error.
    `holders` is speaker_names() of the registry.
    """
    marked, alone = discover_labels(lines, known=label_names)
    marked_speakers = {sid for label in marked for sid in _named(label, holders)}
    found = {**marked, **{label: n for label, n in alone.items() if not holders[label] <= marked_speakers}}
    mapped: dict[str, str] = {}
    unknown: list[str] = []
    for label, n in found.items():
        ids = _named(label, holders)
        if len(ids) == 1:
            mapped[label] = next(iter(ids))
        else:
            unknown.append(f"{label} ({n}x" + (f", names {' and '.join(sorted(ids))})" if ids else ")"))
    if unknown:
        fix = ("map each label to its speaker id under transcript.labels "
               "(people not in corpus/speakers.yaml are added there first)")
        if mapped:
            labels = _FOLDED.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(mapped, ensure_ascii=False))
            fix = (f"if the speaker labels are {', '.join(mapped)}, add 'labels: {labels}' under transcript "
                   "(and list caption lines under boilerplate); otherwise " + fix)
        raise InputError(
            article.yaml_path,
            f"speaker labels found in the text name no known speaker, or more than one: {', '.join(unknown)}",
            fix,
        )
    return mapped


def _to_int(digits: str) -> int:
    return int(digits.translate(str.maketrans("０１２３４５６７８９", "0123456789")))


class _Parser:
    def __init__(self, article: Article, speakers: dict[str, Speaker]):
        self.article = article
        self.text = article.text
        meta = article.meta
        transcript = meta.get("transcript") or {}
        self.author = meta.get("author")  # a news article's writer may be unnamed (None)
        self.meta = meta
        # news: no speaker turns; every paragraph after the headline is the writer's
        self.news = meta.get("form") == "news"
        convention = transcript.get("convention", "auto")
        labels = article.labels
        self.discovered: dict[str, str] = {}
        # names that may stand alone on a line as a label: not the author's or
        # editor's only (a line with just their name is a byline)
        credited = {meta.get("author"), meta.get("editor")}
        holders = speaker_names(speakers)
        self.label_names = frozenset(name for name, ids in holders.items() if not ids <= credited)
        if not labels and convention not in ("dash", "qa") and not self.news:
            # no labels in the YAML: take line-initial labels that repeat and that
            # name a registered speaker (by name, alias, or a surname that prefixes one)
            lines = [ln.text(self.text) for ln in split_lines(self.text)]
            self.discovered = discover(lines, holders, self.label_names, article)
            labels = self.discovered
        self.matcher = LabelMatcher(
            labels,
            convention,
            transcript.get("interviewer"),
            transcript.get("interviewee"),
        )
        names = {meta.get("publisher")}
        for key in ("author", "editor"):
            if meta.get(key):
                names.add(speakers[meta[key]].name)
        self.credit_names = {n for n in names if n}
        self.boilerplate = set(meta.get("boilerplate", ()))
        self.notes = set(meta.get("notes", ()))
        # curated lines that must each be found in the text (invariant 5)
        self.found_lines: set[str] = set()
        self.segments: list[ParsedSegment] = []
        self.sections: list[ParsedSection] = []
        self.turns: list[ParsedTurn] = []
        self.key_points: list[ParsedKeyPoint] = []
        self.seen = {"title": False, "byline": False, "date": False}
        self.front_matter = True
        self.in_key_points = False
        self.in_heading = False
        self.turn: ParsedTurn | None = None
        self.labels_used: set[str] = set()

    def error(self, line: Line | int | None, problem: str, fix: str) -> InputError:
        number = line.number if isinstance(line, Line) else line
        return InputError(self.article.text_path, problem, fix, line=number)

    def seg(self, kind: str, start: int, end: int, line: Line) -> None:
        if end > start:
            self.segments.append(ParsedSegment(kind, start, end, line.number))

    # -- front matter -------------------------------------------------------------
    def front(self, line: Line, content: str) -> None:
        if not self.seen["title"] and self.news and self.headline_lines:
            self.news_headline(line)
            return
        if not self.seen["title"]:
            if content == self.meta["title"]:
                self.seen["title"] = True
                self.seg("title", line.start, line.end, line)
                self.turns.append(ParsedTurn("headline", self.author, None, None, [(line.start, line.end)]))
                self.turn = None
            else:
                self.seg("header", line.start, line.end, line)
            return
        is_key_point = self.in_key_points and KEY_POINT.match(content)
        self.in_key_points = bool(is_key_point)
        if content in self.boilerplate:
            self.found_lines.add(content)
            self.seg("boilerplate", line.start, line.end, line)
        elif content in self.notes:
            self.found_lines.add(content)
            self.seg("note", line.start, line.end, line)
        elif is_key_point:
            self.seg("key_point", line.start, line.end, line)
            self.key_points.append(
                ParsedKeyPoint(_to_int(is_key_point.group(1)), line.start + is_key_point.end(), line.end, line.number)
            )
        elif not self.seen["date"] and (content == self.meta.get("published_on") or DATE.match(content)):
            self.seen["date"] = True
            self.seg("date", line.start, line.end, line)
        elif BYLINE.match(content) or content in self.credit_names:
            self.seen["byline"] = True
            self.seg("byline", line.start, line.end, line)
            self.turn = None
        elif content == self.meta.get("key_points_intro"):
            self.found_lines.add(content)
            self.seg("key_points_intro", line.start, line.end, line)
            self.in_key_points = True
            self.turn = None
        else:
            kind = "lead" if self.seen["byline"] or self.news else "summary"
            self.seg(kind, line.start, line.end, line)
            self.paragraph(kind, self.author, None, line)

    def paragraph(self, kind: str, speaker_id: str, label: str | None, line: Line, start: int | None = None) -> None:
        start = line.start if start is None else start
        if self.turn is None or self.turn.kind != kind or self.turn.speaker_id != speaker_id:
            section = len(self.sections) - 1 if self.sections else None
            self.turn = ParsedTurn(kind, speaker_id, section, label)
            self.turns.append(self.turn)
        self.turn.paragraphs.append((start, line.end))

    # -- interview ----------------------------------------------------------------
    def interview(self, line: Line, content: str) -> bool:
        """Handle a line of the interview part; False when it belongs to the front matter."""
        m = SECTION_NUMBER.match(content) if self.seen["title"] else None
        if m and (not self.sections or _to_int(m.group(1)) == self.sections[-1].number + 1):
            # only the next number opens a section: a paragraph reading "100" does not
            self.front_matter = False
            self.close_section(line.start)
            self.sections.append(ParsedSection(_to_int(m.group(1)), line.start, line.number))
            self.seg("section_number", line.start, line.end, line)
            self.in_heading = True
            self.turn = None
            return True
        label = self.matcher.match(content) if self.seen["title"] and not self.news else None
        if label is not None:
            self.front_matter = False
            self.in_heading = False
            self.seg("speaker_label", line.start, line.start + label.label_end, line)
            self.turn = ParsedTurn(
                "interview", label.speaker_id, len(self.sections) - 1 if self.sections else None, label.label,
                line=line.number,
            )
            self.turns.append(self.turn)
            self.labels_used.add(label.label)
            if label.content_start < len(content):
                self.seg("turn", line.start + label.content_start, line.end, line)
                self.turn.paragraphs.append((line.start + label.content_start, line.end))
            return True
        if self.front_matter:
            return False
        if content in self.boilerplate:
            self.found_lines.add(content)
            self.seg("boilerplate", line.start, line.end, line)
        elif content in self.notes:
            self.found_lines.add(content)
            self.seg("note", line.start, line.end, line)
        elif (
            self.in_heading
            and len(self.sections[-1].heading_lines) < MAX_HEADING_LINES
            and not content.endswith(SENTENCE_END)
        ):
            self.seg("section_heading", line.start, line.end, line)
            self.sections[-1].heading_lines.append(line)
        elif self.turn is not None and self.turn.kind == "interview":
            if (
                self.matcher.convention == "dash"
                and self.turn.speaker_id == self.matcher.interviewer
                and self.matcher.interviewee
            ):
                # an unlabeled paragraph after a ―― question is the guest's answer
                self.turn = ParsedTurn(
                    "interview", self.matcher.interviewee, len(self.sections) - 1 if self.sections else None, None,
                    line=line.number,
                )
                self.turns.append(self.turn)
            self.seg("turn", line.start, line.end, line)
            self.turn.paragraphs.append((line.start, line.end))
        else:
            raise self.error(
                line,
                "text before the first speaker label of a section",
                "add the speaker's label above it or list the label in the article YAML",
            )
        return True

    def close_section(self, next_start: int) -> None:
        if not self.sections:
            return
        section = self.sections[-1]
        last = max((s.end for s in self.segments if s.start >= section.start), default=section.start)
        section.end = min(last, next_start)

    def news_headline(self, line: Line) -> None:
        """A news headline is the title's line, or its first lines joined (kicker and
        headline); an excerpt without one starts with the body."""
        self.seg("title", line.start, line.end, line)
        if self.turn is None or self.turn.kind != "headline":
            self.turn = ParsedTurn("headline", self.author, None, None)
            self.turns.append(self.turn)
        self.turn.paragraphs.append((line.start, line.end))
        if line.number == self.headline_lines[-1]:
            self.seen["title"] = True
            self.turn = None

    def find_headline(self, lines: list[Line]) -> None:
        title = self.meta.get("title")
        self.headline_lines: list[int] = []
        if not self.news:
            return
        if not title:
            self.seen["title"] = True
            return
        wanted, joined = _squeeze(title), ""
        for line in lines:
            content = _squeeze(line.text(self.text))
            if not content:
                continue
            joined += content
            self.headline_lines.append(line.number)
            if not wanted.startswith(joined):
                break
            if joined == wanted:
                return
        self.headline_lines = []
        if wanted in _squeeze(self.text):  # the title is in the text, within other lines
            self.seen["title"] = True

    def run(self) -> ParsedDocument:
        lines = split_lines(self.text)
        self.find_headline(lines)
        for line in lines:
            content = line.text(self.text)
            if not content:
                continue
            if not self.interview(line, content):
                self.front(line, content)
        self.close_section(len(self.text))
        self.check(lines)
        segments = tile(self.text, self.segments)
        sentences = self.split_all()
        return ParsedDocument(
            self.article, segments, self.sections, self.turns, sentences, self.key_points, self.discovered
        )

    def check(self, lines: list[Line]) -> None:
        path = self.article.yaml_path
        if not self.seen["title"]:
            raise InputError(
                path,
                "the title was not found as a line of the text",
                "copy the title line exactly from the text into title:",
                line=self.article.line_of_key("title"),
            )
        if not self.news and not any(t.kind == "interview" for t in self.turns):
            marked, alone = discover_labels([ln.text(self.text) for ln in lines], known=self.label_names)
            found = {**marked, **alone}
            hint = f"labels seen at line starts: {', '.join(found)}; " if found else ""
            # never treated as news silently: an interview whose labels were missed must not be
            news_hint = (" or, if it is a news article that reports speech (quotes were found), "
                         "add 'form: news'") if _REPORTED.search(self.text) else ""
            raise InputError(
                self.article.text_path,
                "no speaker turns recognised",
                f"{hint}list the speaker labels under transcript.labels in {path.name}{news_hint}",
            )
        for turn in self.turns:
            if not turn.paragraphs:
                raise self.error(turn.line, f"speaker label {turn.label!r} has no text after it",
                                 "remove the label or add what was said")
        for section in self.sections:
            if not section.heading_lines:
                raise self.error(section.line, f"section {section.number:02d} has no heading",
                                 "add a heading line after the section number")
        numbers: set[int] = set()
        for point in self.key_points:
            if point.number in numbers:  # report the second occurrence
                raise self.error(point.line, f"key point {point.number} appears twice",
                                 "renumber the key-point list")
            numbers.add(point.number)
        # every curated value that quotes the text must be found in it
        for label in self.article.labels:
            if label not in self.labels_used:
                raise InputError(
                    path, f"speaker label {label!r} never starts a turn in the text",
                    "copy the label exactly as written in the text, or remove it",
                    line=self.article.line_of_key("transcript", "labels", label),
                )
        for key in ("boilerplate", "notes"):
            for index, value in enumerate(self.meta.get(key, ())):
                if value not in self.found_lines:
                    raise InputError(path, f"{key} line not found in the text: {value[:30]!r}",
                                     "copy the line exactly from the text, or remove it",
                                     line=self.article.line_of_key(key, index))
        intro = self.meta.get("key_points_intro")
        if intro is not None and intro not in self.found_lines:
            raise InputError(path, f"key_points_intro not found as a line of the text: {intro[:30]!r}",
                             "copy the line exactly from the text, or remove it",
                             line=self.article.line_of_key("key_points_intro"))

    def split_all(self) -> list[ParsedSentence]:
        sentences = []
        for index, turn in enumerate(self.turns):
            position = 0
            for start, end in turn.paragraphs:
                for s, e in split_sentences(self.text, start, end):
                    kind = "question" if is_question(self.text[s:e]) else "statement"
                    sentences.append(ParsedSentence(index, position, kind, s, e))
                    position += 1
        return sentences


def tile(text: str, segments: list[ParsedSegment]) -> list[ParsedSegment]:
    """Fill the gaps between content segments with `blank` ones so they cover the text."""
    tiled: list[ParsedSegment] = []
    cursor = 0
    line_of = LineIndex(text)
    for seg in sorted(segments, key=lambda s: s.start):
        if seg.start > cursor:
            tiled.append(ParsedSegment("blank", cursor, seg.start, line_of(cursor)))
        tiled.append(seg)
        cursor = seg.end
    if cursor < len(text):
        tiled.append(ParsedSegment("blank", cursor, len(text), line_of(cursor)))
    return tiled


class LineIndex:
    """1-based line numbers of offsets, from the line breaks found once (counting them
    again for every offset made tiling quadratic in the length of the text)."""

    def __init__(self, text: str) -> None:
        # CRLF, CR and LF all end a line, as in split_lines
        breaks = list(LINE_BREAK.finditer(text))
        self.starts = [m.start() for m in breaks]
        self.ends = [m.end() for m in breaks]

    def __call__(self, offset: int) -> int:
        n = bisect_right(self.ends, offset)
        if n < len(self.starts) and self.starts[n] < offset:
            n += 1  # the offset splits a CRLF: its CR already ended the line
        return n + 1


_WHITESPACE = re.compile(r"\s+")
# a bracketed quotation closed by a quotative (「…」と述べた): reported speech
_REPORTED = re.compile("」(?:など)?(?:" + "|".join(re.escape(q) for q in QUOTATIVE) + ")")


def _squeeze(text: str) -> str:
    return _WHITESPACE.sub("", text)


def parse_article(article: Article, speakers: dict[str, Speaker]) -> ParsedDocument:
    return _Parser(article, speakers).run()
