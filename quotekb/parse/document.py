"""Article text -> structure with exact character offsets.

Front matter (header, title, date, boilerplate, byline, summary, lead, key points,
notes) is recognised line by line from the article YAML and generic patterns; the
interview part is split into numbered sections, speaker turns and sentences. Every
span is a pair of code-point offsets into the text as stored, and the segments tile it.

Who speaks is decided with the whole article in view (prepare): every line is
classified by parse/conventions.py first, so a name alone can be told from a caption,
a short line between two turns is a subheading, and a line shaped like the article's
own labels that names nobody is refused rather than added to the previous turn.
What a rule decided and what looks wrong are kept for `quotekb check`.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

from quotekb.errors import InputError
from quotekb.ingest.corpus import Article, Speaker
from quotekb.parse.conventions import COLONS, LAYOUTS, SPACES, Classifier, Resolver, Start, parse_layouts
from quotekb.parse.conventions import SENTENCE_END as CONV_SENTENCE_END
from quotekb.parse.conventions import TITLES as TITLE_WORDS
from quotekb.parse.conventions import _strip_title as strip_title
from quotekb.parse.labels import discover_labels
from quotekb.parse.narration import is_narration
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
    is_question: bool = False  # opened by a question mark (――, Q) or asks one after a label
    role: str = "speaker"  # speaker (a label), question or answer (a Q/A or dash mark)
    marker_only: bool = False  # a bare mark (Q1, A3): a label on the next line may name the speaker

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
    decisions: list[str] = field(default_factory=list)  # what a rule decided (captions, defaults), for check
    warnings: list[str] = field(default_factory=list)  # what looks wrong; check --strict refuses it


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


# JSON (which is YAML) for the hint; InputError folds whitespace runs into one space,
# so any other whitespace in a label is escaped to survive being printed
_FOLDED = re.compile(r"(?<= ) |[^\S ]")


def _as_yaml(mapping: dict[str, str]) -> str:
    return _FOLDED.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(mapping, ensure_ascii=False))


def discover(lines: list[str], resolver: Resolver, label_names: frozenset[str], article: Article,
             byline_names: dict[str, str]) -> dict[str, str]:
    """Labels that repeat at line starts -> speaker ids, when the YAML lists none.

    A registered name alone on its line is a label unless its speaker already has a
    label marked with a colon or 【】: then it is a caption (山田太郎氏 under a photo,
    beside 山田: labels). Labels that repeat but name nobody, or several people, are an
    error: a label that repeats is a speaker the registry lacks, and its words would
    otherwise go to whoever spoke before.
    """
    marked, alone = discover_labels(lines, known=label_names)
    marked_speakers = {sid for label in marked for sid in resolver.resolve(label)[0]}
    found = {**marked, **{label: n for label, n in alone.items()
                          if not resolver.resolve(label)[0] <= marked_speakers}}
    mapped: dict[str, str] = {}
    unknown: list[str] = []
    for label, n in found.items():
        ids = resolver.resolve(label)[0]
        if len(ids) == 1:
            mapped[label] = next(iter(ids))
        elif not ids and label in byline_names:
            # the author's (or editor's) name is read as a byline, never a label, unless
            # the YAML says they ask the questions: say so instead of "no known speaker"
            who = byline_names[label]
            raise InputError(article.yaml_path, f"label {label!r} ({n}x) names {who}, the article's author or "
                             "editor, whose name is read as a byline, not as a speaker label",
                             f"if {who} speaks in this article, map the label under transcript.labels "
                             f"('labels: {_as_yaml({label: who})}')")
        else:
            unknown.append(f"{label} ({n}x" + (f", names {' and '.join(sorted(ids))})" if ids else ")"))
    if unknown:
        fix = ("map each label to its speaker id under transcript.labels "
               "(people not in corpus/speakers.yaml are added there first)")
        if mapped:
            fix = (f"if the speaker labels are {', '.join(mapped)}, add 'labels: {_as_yaml(mapped)}' under transcript "
                   "(and list caption lines under boilerplate); otherwise " + fix)
        raise InputError(
            article.yaml_path,
            f"speaker labels found in the text name no known speaker, or more than one: {', '.join(unknown)}",
            fix,
        )
    return mapped


def _to_int(digits: str) -> int:
    return int(digits.translate(str.maketrans("０１２３４５６７８９", "0123456789")))


# A short line without a sentence ending, between two turns, is a subheading (or a
# caption, or a photo id): it belongs to no turn.
MAX_SUBHEADING = 40
NOT_HEADING_END = (*CONV_SENTENCE_END, "、", ",", "，", "…")
STRONG = ("label-colon", "label-line", "bracket", "alias")
# Layouts whose line starts mark a question or an answer rather than name a speaker.
MARK_LAYOUTS = ("qa", "dash")
# Words before a colon that introduce page furniture, never a speaker (写真：…, 出典：…).
NOT_SPEAKERS = frozenset((
    "写真", "画像", "動画", "図", "表", "出典", "参考", "関連", "関連記事", "資料", "撮影", "取材", "構成", "文",
    "編集", "協力", "提供", "注", "註", "備考", "URL", "url", "リンク", "お問い合わせ", "問い合わせ", "日時", "場所",
    "会場", "主催", "共催", "後援", "聞き手・構成", "翻訳", "訳", "監修", "制作",
))


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
        self.speakers = speakers
        self.convention = transcript.get("convention", "auto")
        self.layouts = parse_layouts(self.convention)
        self.discovered: dict[str, str] = {}
        # the author's turn that narration.py's rule opened: (turn, the speaker it
        # interrupted, its line), so that what follows it is not guessed silently
        self.narration_turn: tuple[ParsedTurn, str, int] | None = None
        self.interviewer = self._role("interviewer")
        self.interviewee = self._role("interviewee")
        # names that may stand alone on a line as a label: not the author's or
        # editor's only (a line with just their name is a byline)
        credited = {meta.get("author"), meta.get("editor")}
        holders = speaker_names(speakers)
        self.label_names = frozenset(name for name, ids in holders.items() if not ids <= credited)
        excluded = {sid for sid in credited if sid} - {self.interviewer, self.interviewee}
        self.resolver = Resolver(speakers, article.labels, meta.get("aliases") or {}, excluded)
        # the excluded people's names, for the message when one of them labels turns
        self.byline_names = {name: sid for sid in sorted(excluded)
                             for name in (speakers[sid].name, *speakers[sid].aliases)}
        self.classifier = Classifier(self.resolver, self.layouts)
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
        self.decisions: list[str] = []  # what was decided by rule, for quotekb check
        self.warnings: list[str] = []
        self.last_answerer: str | None = None  # the last labeled answerer (press conferences)
        self.inline_split = False  # turns were found inside a line: unknown labels there are refused

    def _role(self, key: str) -> str | None:
        """interviewer/interviewee: at the top level of the YAML or under transcript."""
        top, nested = self.meta.get(key), (self.meta.get("transcript") or {}).get(key)
        if top and nested and top != nested:
            raise InputError(self.article.yaml_path,
                             f"{key} is {top!r} at the top level but {nested!r} under transcript",
                             f"keep one {key}", line=self.article.line_of_key(key))
        value = top or nested
        if value is not None and value not in self.speakers:
            raise InputError(self.article.yaml_path, f"unknown speaker {value!r} as {key}",
                             "add it to corpus/speakers.yaml or fix the id", line=self.article.line_of_key(key))
        return value

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
            elif content in self.boilerplate:
                self.found_lines.add(content)
                self.seg("boilerplate", line.start, line.end, line)
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

    # -- the whole article first ----------------------------------------------------
    def prepare(self, lines: list[Line]) -> None:
        """Classify every line before walking the text: which lines start turns, which
        name-alone lines are captions, which short lines sit between turns."""
        contents = [ln.text(self.text) for ln in lines]
        if self.news:
            # no speaker turns: nothing is classified (find_headline handled the title)
            self.contents, self.marks, self.captions = contents, [None] * len(contents), set()
            self.between, self.excluded_starts, self.used_layouts = [False] * len(contents), {}, set()
            return
        title = self.meta["title"]
        title_at = next((i for i, c in enumerate(contents) if c == title), None)
        if title_at is None:
            # many pages carry the title only in their HTML: it stays metadata
            self.seen["title"] = True
            self.decisions.append(f"title not in the text: kept as metadata only ({title[:20]})")
        first = 0 if title_at is None else title_at + 1
        # 以下 definitions apply to the whole article
        for c in contents[first:]:
            start = self.classifier.label(c) if c and "以下" in c else None
            if start and start.layout == "alias" and start.defines and start.speaker_id:
                self.resolver.define(start.defines, start.speaker_id)
                self.decisions.append(
                    f"label {start.defines} defined in the text as {start.speaker_id} ({start.label})")
        marks: list[Start | None] = [None] * len(contents)
        for i in range(first, len(contents)):
            if contents[i]:
                marks[i] = self.classifier.classify(contents[i])
        has_questions = any(m is not None and m.role == "question" for m in marks)
        if not has_questions:
            # A marks without any question: "A 社の…" is text, not an answer
            marks = [None if m is not None and m.role == "answer" else m for m in marks]
        if not self.article.labels:
            # Q: and A: (or ―― ) are question and answer marks, not speakers' names
            candidates = [c for c, m in zip(contents[first:], marks[first:], strict=True)
                          if m is None or m.layout not in MARK_LAYOUTS]
            self.discovered = discover(candidates, self.resolver, self.label_names, self.article, self.byline_names)
        marked = {m.speaker_id for m in marks if m is not None and m.role == "speaker" and not m.bare and m.speaker_id}
        self.captions: set[int] = set()
        for i, m in enumerate(marks):
            if m is None or not m.bare or not m.speaker_id:
                continue
            sid = m.speaker_id
            after = self._next(contents, i)
            reason = None
            if sid in marked:
                reason = f"{sid} has marked labels elsewhere"
            elif has_questions and sid == self.interviewee:
                reason = "the interviewee's answers are unlabeled"
            elif has_questions and (after is None or self._heading_like(contents[after]) and marks[after] is None):
                reason = "no speech follows it"
            if reason:
                marks[i] = None
                self.captions.add(i)
                self.decisions.append(f"line {lines[i].number} {contents[i]!r} is a caption, not a label: {reason}")
        self.marks = marks
        self.contents = contents
        for i in range(first, len(contents)):
            if contents[i] in self.credit_names and any(m is not None and m.speaker_ids for m in marks[:i]):
                self.decisions.append(f"line {lines[i].number} {contents[i]!r} is the author's or editor's name: "
                                      "a byline, not a label")
        # lines a label would start under `auto` that the YAML's convention leaves as text
        self.excluded_starts: dict[int, Start] = {}
        if self.layouts != frozenset(LAYOUTS):
            everything = Classifier(self.resolver, frozenset(LAYOUTS))
            for i in range(first, len(contents)):
                other = everything.classify(contents[i]) if contents[i] and marks[i] is None else None
                if other is not None and other.role == "speaker" and other.speaker_id and not other.bare:
                    self.excluded_starts[lines[i].start] = other
        self.refuse_unknown(lines, contents, marks, first)
        self.used_layouts = {m.layout for m in marks if m is not None and m.speaker_ids and m.role == "speaker"
                             and not m.bare}
        # short lines between turns: a run of them ending right before a turn start
        self.between = [False] * len(contents)
        following_start = False
        for i in range(len(contents) - 1, first - 1, -1):
            c = contents[i]
            if not c:
                continue
            start = marks[i] is not None and marks[i].speaker_ids or (
                marks[i] is not None and marks[i].role != "speaker") or bool(SECTION_NUMBER.match(c))
            if start:
                following_start = True
                continue
            # a label-like line that names nobody (出典: 資料A) stays text
            mark = marks[i]
            text_like = mark is None or not mark.speaker_ids and (mark.layout not in STRONG or mark.bare)
            candidate = (i in self.captions or self._heading_like(c) and text_like) and c not in self.credit_names
            self.between[i] = candidate and following_start
            following_start = self.between[i]

    def refuse_unknown(self, lines: list[Line], contents: list[str], marks: list[Start | None], first: int) -> None:
        """A line shaped like the article's own labels that names nobody registered is
        refused: taken as text, its words would go to whoever spoke before."""
        resolved = [m for m in marks if m is not None and m.speaker_ids and m.role == "speaker"]
        used = {(m.layout, m.bare) for m in resolved}
        starts = Counter(m.label for m in marks if m is not None and not m.speaker_ids
                         and m.layout in ("label-space", "label-dash"))
        for i, m in enumerate(marks):
            if m is None or m.speaker_ids or m.role != "speaker":
                continue
            prev = next((j for j in range(i - 1, first - 1, -1) if contents[j]), None)
            after = self._next(contents, i)
            before_question = after is not None and marks[after] is not None and marks[after].role == "question"
            after_marker = prev is not None and marks[prev] is not None and marks[prev].role != "speaker" and (
                marks[prev].alone)
            speech_follows = after is not None and not self._heading_like(contents[after])
            reason = None
            if m.layout == "paren" and m.alone and (("paren", False) in used or before_question or after_marker):
                reason = "the article's labels are written this way" if ("paren", False) in used else (
                    "it stands next to a question or answer mark")
            elif m.layout == "label-line" and m.bare and ("label-line", True) in used and speech_follows and (
                    strip_title(m.label) != m.label or contents.count(contents[i]) >= 2):
                reason = "the article's labels are names alone on their lines"
            elif m.layout == "label-space" and ("label-space", False) in used and starts[m.label] >= 2:
                reason = f"it starts {starts[m.label]} lines like the article's labels"
            elif m.layout == "label-dash" and ("label-dash", False) in used and (
                    strip_title(m.label) != m.label or starts[m.label] >= 2):
                # a name with an honorific or title before the dash (Ｄさん――), or a word that
                # opens several lines like the labels: a speaker, never そして――
                reason = ("the article's labels are names before a dash" if starts[m.label] < 2 else
                          f"it starts {starts[m.label]} lines like the article's labels")
            elif m.layout == "press" and ("press", False) in used:
                reason = "the article's answers are written this way"
            if reason:
                raise self.error(
                    lines[i], f"{m.label!r} looks like a speaker label ({reason}) but names nobody in "
                    "corpus/speakers.yaml",
                    f"add the person to corpus/speakers.yaml (name, or aliases: [{m.label}]) or map it under "
                    f"transcript.labels ('labels: {_as_yaml({m.label: '<speaker id>'})}')",
                )

    def _next(self, contents: list[str], i: int) -> int | None:
        return next((j for j in range(i + 1, len(contents)) if contents[j]), None)

    @staticmethod
    def _heading_like(content: str) -> bool:
        return len(content) <= MAX_SUBHEADING and not content.endswith(NOT_HEADING_END)

    # -- interview ----------------------------------------------------------------
    def interview(self, index: int, line: Line, content: str) -> bool:
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
        mark = self.marks[index]
        if mark is not None and len(mark.speaker_ids) > 1:
            self.unresolved(mark, line, in_front=self.front_matter)  # names several people: refused
        if (mark is not None and self.front_matter and mark.layout == "dash" and not mark.speaker_ids
                and self.interviewer is None):
            # ――2015年12月31日、深夜…: before any turn and with no interviewer, a dash opens
            # the author's narration; after the first turn it must be somebody's question
            self.decisions.append(f"line {line.number}: {content[:12]!r} is narration before the interview "
                                  "(no interviewer asks ―― questions)")
            return False
        if mark is not None and (mark.speaker_ids or mark.role != "speaker"):
            self.start_turn(mark, line, content)
            return True
        if self.front_matter:
            if mark is not None:
                self.unresolved(mark, line, in_front=True)
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
        elif self.turn is not None and (self.turn.kind == "interview" or self.turn.line is not None):
            if mark is not None:
                self.unresolved(mark, line, in_front=False)
            self.text_line(index, line, content)
        else:
            raise self.error(
                line,
                "text before the first speaker label of a section",
                "add the speaker's label above it or list the label in the article YAML",
            )
        return True

    def unresolved(self, mark: Start, line: Line, in_front: bool) -> None:
        """A label-like start that names nobody registered (or several people)."""
        text = line.text(self.text)
        shown = text[: mark.label_end]
        if len(mark.speaker_ids) > 1:
            raise self.error(line, f"label {mark.label!r} names more than one speaker: "
                             f"{' and '.join(sorted(mark.speaker_ids))}",
                             "say which under transcript.labels, e.g. "
                             f"'labels: {_as_yaml({mark.label: sorted(mark.speaker_ids)[0]})}'")
        if mark.layout not in STRONG:
            return  # names alone, (…), 名前 text: refused in prepare() when shaped like the labels
        if mark.label.lstrip("※*＊") in NOT_SPEAKERS or mark.label.startswith(("※", "*", "＊")):
            self.decisions.append(f"line {line.number}: {shown!r} is page furniture (a caption, a source), not a label")
            return
        strong = mark.layout != "label-line" or text.rstrip(SPACES).endswith(tuple(COLONS))
        used = self.used_layouts
        same_layout = mark.layout in used or mark.layout in ("label-colon", "label-line") and (
            {"label-colon", "label-line"} & used)
        if mark.layout == "alias" or strong and not self.article.labels and (not in_front or same_layout) and (
                len(mark.label) <= 12):
            example = {mark.label: "<speaker id>"}
            raise self.error(
                line, f"{shown!r} looks like a speaker label but names nobody in corpus/speakers.yaml",
                f"add the person to corpus/speakers.yaml (name or aliases: [{mark.label}]) or map it under "
                f"transcript.labels ('labels: {_as_yaml(example)}'); if it is not a label, list the line under "
                "boilerplate",
            )
        if strong:
            note = (f"line {line.number}: {shown!r} looks like a label but names nobody registered, kept as text "
                    f"(if it is one, add 'labels: {_as_yaml({mark.label: '<speaker id>'})}' under transcript)")
            (self.decisions if in_front else self.warnings).append(note)

    def start_turn(self, mark: Start, line: Line, content: str) -> None:
        self.front_matter = False
        self.in_heading = False
        section = len(self.sections) - 1 if self.sections else None
        turn = self.turn
        fresh = turn is not None and turn.kind == "interview" and not turn.paragraphs
        if mark.role == "speaker":
            speaker = mark.speaker_id
            if fresh and turn.marker_only and turn is self.turns[-1]:
                # A3 alone, then (担当課長) alone: the label says who gives this answer
                turn.speaker_id = speaker
                turn.label = mark.label
                turn.marker_only = False
                self.decisions.append(f"line {line.number}: the {turn.role} above is by {speaker} ({mark.label})")
                if turn.role == "answer" and speaker == self.interviewee:
                    self.warnings.append(f"line {line.number}: an answer is labeled {mark.label!r}, the interviewee, "
                                         "although unlabeled answers are theirs anyway: is interviewee right?")
            else:
                turn = self.new_turn(speaker, mark.label, line, section)
            if not turn.is_question:
                self.last_answerer = speaker if speaker != self.interviewer else self.last_answerer
            self.labels_used.update({mark.label, strip_title(mark.label)})
        else:
            own = mark.speaker_id
            if mark.role == "question" and not own and fresh and not turn.marker_only:
                # (ロイター通信) alone, then a ―― question: the question is that reporter's
                turn.is_question = True
            else:
                speaker = own or (self.interviewer if mark.role == "question" else self.interviewee)
                if speaker is None:
                    key = "interviewer" if mark.role == "question" else "interviewee"
                    who = "questions" if mark.role == "question" else "answers"
                    raise self.error(line, f"{who} marked {mark.label!r} have no speaker",
                                     f"add '{key}: <speaker id>' to {self.article.yaml_path.name}")
                turn = self.new_turn(speaker, mark.label, line, section)
                turn.is_question = mark.role == "question"
                turn.role = mark.role
                turn.marker_only = not own
                if mark.role == "answer" and own:
                    self.last_answerer = own
        self.seg("speaker_label", line.start, line.start + mark.label_end, line)
        self.add_content(line, content, mark.content_start)

    def new_turn(self, speaker: str, label: str | None, line: Line, section: int | None) -> ParsedTurn:
        self.turn = ParsedTurn("interview", speaker, section, label, line=line.number)
        self.turns.append(self.turn)
        return self.turn

    def add_content(self, line: Line, content: str, offset: int) -> None:
        """The spoken text after a label: to the turn, split where a label starts inside the line."""
        if offset >= len(content):
            return
        unknown = len(self.classifier.unknown_inline)
        inline = self.classifier.inline_starts(content, offset)
        if inline and len(self.classifier.unknown_inline) > unknown or self.inline_split and inline == [] and (
                len(self.classifier.unknown_inline) > unknown):
            name = self.classifier.unknown_inline[-1]
            raise self.error(line, f"{name!r} inside the line looks like a speaker label, as others on this page, "
                             "but names nobody in corpus/speakers.yaml",
                             f"add the person to corpus/speakers.yaml (name, or aliases: [{name}]) or map it under "
                             f"transcript.labels ('labels: {_as_yaml({name: '<speaker id>'})}')")
        self.inline_split = self.inline_split or bool(inline)
        for at, inner in inline:
            self.seg("turn", line.start + offset, line.start + len(content[:at].rstrip(SPACES)), line)
            self.turn.paragraphs.append((line.start + offset, line.start + len(content[:at].rstrip(SPACES))))
            self.seg("speaker_label", line.start + at, line.start + at + inner.label_end, line)
            self.new_turn(inner.speaker_id, inner.label, line, self.turn.section)
            self.labels_used.update({inner.label, strip_title(inner.label)})
            offset = at + inner.content_start
        if offset < len(content):
            self.seg("turn", line.start + offset, line.end, line)
            self.turn.paragraphs.append((line.start + offset, line.end))

    def text_line(self, index: int, line: Line, content: str) -> None:
        """A line that starts no turn: the turn's text, an answer, or a subheading."""
        turn = self.turn
        if not turn.paragraphs:
            self.add_content(line, content, 0)
            return
        if turn.kind != "interview":
            if self.narration_turn and turn is self.narration_turn[0] and not self.contents[index - 1]:
                # a paragraph after the narration: more of it, or the speaker going on?
                _turn, speaker_id, at = self.narration_turn
                self.warnings.append(f"line {line.number}: unlabeled text after the narration of line {at} is "
                                     f"given to the author: if it is {speaker_id}'s, the label before it is missing")
            self.add_content(line, content, 0)
            return
        if turn.is_question and self.answers_here(index, content):
            quoted = content.startswith(("「", "『"))
            speaker = (self.last_answerer if quoted and self.last_answerer else self.interviewee)
            if speaker is None:
                raise self.error(line, "an unlabeled answer follows a question, and nobody is the interviewee",
                                 f"add 'interviewee: <speaker id>' to {self.article.yaml_path.name}")
            if self.interviewee and speaker != self.interviewee:
                self.decisions.append(f"line {line.number}: unlabeled answer given to {speaker}, the last "
                                      f"labeled answerer (the interviewee is {self.interviewee})")
            self.new_turn(speaker, None, line, turn.section)
            self.add_content(line, content, 0)
            return
        if self.between[index]:
            kind = "boilerplate" if index in self.captions else "section_heading"
            self.seg(kind, line.start, line.end, line)
            return
        first = self.text[turn.paragraphs[0][0]]
        last = self.text[turn.paragraphs[-1][1] - 1]
        if (turn.kind == "interview" and first in "「『" and last in "」』" and not content.startswith(("「", "『"))):
            # 山田社長「…」 then a paragraph outside quotation marks: the reporter's
            # narration, not the speaker's words
            self.new_turn(self.author, None, line, turn.section).kind = "lead"
            self.decisions.append(f"line {line.number}: narration after a quoted answer, given to the author")
        elif self.author is not None and (why := self.narration(index, turn)):
            self.new_turn(self.author, None, line, turn.section).kind = "lead"
            self.narration_turn = (self.turn, turn.speaker_id, line.number)
            self.decisions.append(f"line {line.number}: narration (the paragraph speaks of {why} by name, as "
                                  "the writer does, not a speaker), given to the author")
        self.add_content(line, content, 0)

    def narration(self, index: int, turn: ParsedTurn) -> str | None:
        """Whether the paragraph that starts at `index` (after a blank line, in a turn a
        label opened) is the writer's narration about its speaker and another speaker
        (narration.py): the names it speaks of them by, or None."""
        if turn.role != "speaker" or turn.label is None or not index or self.contents[index - 1]:
            return None
        block = []
        for j in range(index, len(self.contents)):
            if not self.contents[j] or self.marks[j] is not None and j > index:
                break
            block.append(self.contents[j])
        others = {t.speaker_id for t in self.turns if t.kind == "interview"} - {turn.speaker_id}
        return is_narration("\n".join(block), self._names(turn.speaker_id),
                            [n for sid in sorted(others) for n in self._names(sid)])

    def _names(self, speaker_id: str) -> list[str]:
        """A speaker's registered name and aliases, and the surnames their labels were
        written as (小倉: for 小倉智昭), without role words (大臣, 知事, 司会), which
        people use of their own office."""
        speaker = self.speakers.get(speaker_id)
        if speaker is None:
            return []
        registered = [n for n in (speaker.name, *speaker.aliases) if strip_title(n) == n and n not in TITLE_WORDS]
        surnames = {strip_title(t.label) for t in self.turns if t.speaker_id == speaker_id and t.label}
        return registered + sorted(s for s in surnames if s not in registered and s not in TITLE_WORDS
                                   and any(n.startswith(s) for n in registered))

    def answers_here(self, index: int, content: str) -> bool:
        """After a question, an unlabeled paragraph answers it unless a labeled answer
        follows (then the question goes on)."""
        if content.startswith(("「", "『")):
            return True
        for j in range(index + 1, len(self.marks)):
            mark = self.marks[j]
            if mark is not None and (mark.speaker_ids or mark.role != "speaker"):
                return not (mark.role == "speaker" and mark.speaker_id != self.interviewer)
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
        self.prepare(lines)
        for index, line in enumerate(lines):
            content = self.contents[index]
            if not content:
                continue
            if not self.seen["title"] or not self.interview(index, line, content):
                self.front(line, content)
        self.close_section(len(self.text))
        if not self.article.labels:
            # every label that started a turn, as written (the speaker_labels table)
            for turn in self.turns:
                if turn.kind == "interview" and turn.role == "speaker" and turn.label:
                    self.discovered.setdefault(turn.label, turn.speaker_id)
        self.check(lines)
        self.review()
        segments = tile(self.text, self.segments)
        sentences = self.split_all()
        return ParsedDocument(
            self.article, segments, self.sections, self.turns, sentences, self.key_points, self.discovered,
            decisions=self.decisions, warnings=self.warnings,
        )

    def check(self, lines: list[Line]) -> None:
        path = self.article.yaml_path
        if self.news and not self.seen["title"]:
            # a news headline is found in the text (find_headline); an interview's title may be metadata only
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
            # each way out of an article without turns
            fixes = [f"register the speakers or list their labels under transcript.labels in {path.name}",
                     "set interviewer and interviewee for ―― or Q/A questions"]
            if _REPORTED.search(self.text):
                # never treated as news silently: an interview whose labels were missed must not be
                fixes.append("if it is a news article that reports speech (quotes were found), add 'form: news'")
            raise InputError(self.article.text_path, "no speaker turns recognised", hint + "; or ".join(fixes))
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
        if self.interviewer and self.interviewer == self.interviewee:
            raise InputError(path, f"{self.interviewer} is both interviewer and interviewee",
                             "the interviewee is the person who answers: fix one of them",
                             line=self.article.line_of_key("interviewee"))

    def review(self) -> None:
        """Warnings for what looks wrong; `quotekb check --strict` refuses them."""
        if self.news:
            return  # no turns: reported speech is the quotes layer's
        interview = [t for t in self.turns if t.kind == "interview"]
        speaking = {t.speaker_id for t in interview}
        credited = {self.meta.get("author"), self.meta.get("editor")}
        # the registry is the whole corpus's: with many people, only names whose first two
        # characters occur in the text are looked for (the set costs more than a few scans)
        pairs = {self.text[i : i + 2] for i in range(len(self.text) - 1)} if len(self.speakers) > 100 else None
        for speaker in self.speakers.values():
            if speaker.id in speaking or speaker.id in credited:
                continue
            names = [n for n in (speaker.name, *speaker.aliases) if len(n) >= 3 or n == speaker.name]
            mention = next((n for n in names if (pairs is None or n[:2] in pairs) and n in self.text), None)
            if mention:
                self.warnings.append(f"{speaker.id} ({mention}) is mentioned in the text but never starts a turn")
        if self.interviewer and self.interviewer not in speaking:
            self.warnings.append(f"the interviewer {self.interviewer} asks no question")
        if self.interviewee and self.interviewee not in speaking and any(t.is_question for t in interview):
            self.warnings.append(f"the interviewee {self.interviewee} gives no answer")
        for a, b in zip(interview, interview[1:], strict=False):
            if a.is_question and b.is_question and a.speaker_id == b.speaker_id:
                self.warnings.append(f"line {b.line}: two questions in a row with no answer")
            elif a.speaker_id == b.speaker_id and b.label and a.label != b.label:
                self.warnings.append(f"line {b.line}: {b.label!r} and {a.label or 'the turn before'!r} both name "
                                     f"{b.speaker_id}, one after the other: is each label mapped to the right person?")
        askers = {t.speaker_id for t in interview if t.is_question}
        answerers = {t.speaker_id for t in interview if not t.is_question and t.speaker_id != self.interviewer}
        for sid in sorted(askers & answerers):
            self.warnings.append(f"{sid} both asks the marked questions and answers them: check interviewer, "
                                 "interviewee and the aliases")
        for label, (ids, alt) in self.resolver.conflicts.items():
            if label in self.labels_used:
                self.warnings.append(f"label {label!r} is registered for {', '.join(sorted(ids))} but also reads as "
                                     f"{', '.join(sorted(alt))}: check the aliases in corpus/speakers.yaml")
        for start, other in self.excluded_starts.items():
            # a label under auto that the convention leaves out, in someone else's turn or none
            owner = next((t for t in interview if any(a <= start < b for a, b in t.paragraphs)), None)
            if owner is None or owner.speaker_id != other.speaker_id:
                where = f"the turn at line {owner.line} ({owner.speaker_id})" if owner else "no turn"
                self.warnings.append(f"{where} holds {self.text[start : start + other.label_end]!r}, a label of "
                                     f"{other.speaker_id} in the {other.layout} layout, which the convention "
                                     f"{self.convention!r} leaves out")
        for turn in interview:
            for start, end in turn.paragraphs[1:]:
                head = self.text[start:end]
                m = LABEL_LIKE.match(head)
                if m and m.group(1) not in self.credit_names:
                    self.warnings.append(f"turn at line {turn.line} ({turn.speaker_id}) contains {m.group(0)!r}, "
                                         "which looks like another speaker's label")
        for label, sid in self.discovered.items():
            ids, how = self.resolver.resolve(label)
            if how == "surname" and self.speakers[sid].name not in self.text:
                self.warnings.append(f"label {label} taken as {sid} ({self.speakers[sid].name}) by surname only; "
                                     f"confirm it under transcript.labels")

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


LABEL_LIKE = re.compile(r"^([^\s:：「」『』、。,，!?！？()（）]{1,12})[ \u3000]*[:：]")


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
