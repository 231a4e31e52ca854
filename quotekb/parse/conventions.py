"""Transcript layouts of Japanese interview pages: does a line start a turn, and whose.

Layouts (the article YAML's transcript.convention: one name, a list, or `auto` for all):
  label-line   the label alone on its line: 山田 / 山田: / 山田さん / 村松(定)委員
  label-colon  label and text on one line: 山田: text / 山田氏：text / 安倍首相:text
  label-space  山田 text / 葵さん text (a registered name or a YAML label only)
  label-dash   山田 ── text / 山田――text
  bracket      【山田】text, or 【山田】 alone
  paren        （山田）/ (山田) / (上田:NHK記者) / 吉村) alone or before text
  press        山田社長「…」; unlabeled 「…」 answers then go to the last answerer
  alias        佐藤花子さん（以下、佐藤）： / Rikka Zine (以下RZ) define a label for the article
  dash         ――, ──, ―, —, --, −− lines are the interviewer's questions
  qa           Q / Q. / Q1. / Q： / 質問： questions; A / A. / A1. / 回答： answers
A label names a speaker through the YAML's transcript.labels, the article's aliases, a
definition in the text (以下), or the registry (name or alias, with an honorific or a
title after it, or a surname that begins exactly one registered name). A label-like
start that names nobody, or several people, is returned as such, so the parser can
refuse it instead of giving the words to the previous speaker.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from quotekb.ingest.corpus import Speaker
from quotekb.parse.sentences import QUOTATIVE
from quotekb.vocabulary import CONVENTIONS

LAYOUTS = tuple(name for name in CONVENTIONS if name != "auto")  # declared in quotekb/vocabulary.py
# Honorifics and titles written after a name in labels (山田氏, 岡本社長, 安倍首相); longest first.
TITLES = tuple(sorted((
    "氏", "さん", "様", "先生", "君", "くん", "ちゃん", "選手", "監督", "社長", "副社長", "会長", "副会長", "専務",
    "常務", "首相", "総理", "大臣", "知事", "市長", "町長", "村長", "区長", "代表", "議員", "委員", "委員長", "主査",
    "教授", "准教授", "理事長", "院長", "部長", "課長", "局長", "所長", "記者", "弁護士", "議長", "CEO", "ＣＥＯ",
), key=len, reverse=True))
COLONS = ":："
SPACES = " \u3000\u00a0"
# the longest label that may name somebody the registry lacks (a name with its title):
# longer unregistered text before a separator is a phrase, not a speaker
MAX_UNREGISTERED_LABEL = 12
# A question mark for the interviewer at the start of a line, and Q/A markers.
# ―― (U+2015), ── (box drawing), — (em dash), –– (en dash), -- and ーー all mark questions,
# and −− (U+2212, the minus sign that Shift_JIS pages' 全角マイナス often decodes to)
DASH = re.compile(r"^(?:[―—─]{1,2}|[-–－ー−]{2})[ \u3000]*")
RULE = re.compile(r"^[―—─\-–－ー−*＊=＝~〜・.]{3,}$")  # a separator line, not a question
QUESTION = re.compile(r"^(?:[QＱ]|質問)[0-9０-９]{0,3}(?:[ \u3000]*[.．:：)）][ \u3000]*|[ \u3000]+|(?=[(（「『])|$)")
ANSWER = re.compile(r"^(?:[AＡ]|回答)[0-9０-９]{0,3}(?:[ \u3000]*[.．:：)）][ \u3000]*|[ \u3000]+|(?=[(（「『])|$)")
ALIAS = re.compile(
    r"^(?P<name>[^:：()（）「」『』。、]{1,24}?)[ \u3000]*[（(]以下[、,，]?[ \u3000]*"
    r"[「『]?(?P<alias>[^」』()（）\s]{1,12})"
    r"[」』]?[)）](?:[ \u3000]*[:：][ \u3000]*|[ \u3000]+|$)"
)
BRACKET = re.compile(r"^【(?P<name>[^】]{1,24})】[ \u3000]*")
PAREN = re.compile(r"^[（(](?P<name>[^()（）]{1,30})[)）][ \u3000]*")
CLOSE_PAREN = re.compile(r"^(?P<name>[^\s()（）「」:：]{1,12})[)）]$")
NAMED = re.compile(
    r"^(?P<name>[^\s:：「」『』、。,，!?！？【】]{1,20}?)"
    r"(?P<sep>[ \u3000]*[:：][ \u3000]*|「|[ \u3000]*(?:──|――|——|—|―|--)[ \u3000]*|[ \u3000]+|$)"
)
# a turn boundary inside a line: "…のか。 司会:では…" (one page put many turns on a line)
INLINE = re.compile(r"(?<=[。．！？!?」』）)])[ \u3000]+(?P<name>[^\s:：「」『』、。]{1,12})[:：]")
SENTENCE_END = ("。", "．", "？", "?", "！", "!", "」", "）", ")", "』")


@dataclass(frozen=True)
class Start:
    """A line that starts a turn (or a label that names nobody, when speaker_ids is empty)."""

    layout: str
    role: str  # "speaker": the label names who speaks; "question" / "answer": a Q/A or dash mark
    speaker_ids: frozenset[str]  # resolved speakers (empty: nobody; several: ambiguous)
    label: str  # the label as written (the marker for questions and answers)
    label_end: int  # offset within the stripped line where the label (and its separator) ends
    content_start: int  # offset where the spoken text starts
    how: str = "name"  # how the label was resolved: yaml, defined, alias, name, title, surname, role
    bare: bool = False  # a name alone on its line, without colon or brackets
    defines: str | None = None  # the alias a 以下 definition introduces
    alone: bool = False  # nothing follows the label on its line

    @property
    def speaker_id(self) -> str | None:
        return next(iter(self.speaker_ids)) if len(self.speaker_ids) == 1 else None


class Resolver:
    """Who a label names: the YAML's labels, the article's aliases, 以下 definitions,
    then the registry's names and aliases (with a title or honorific after them, or a
    surname that begins a registered name)."""

    def __init__(self, speakers: dict[str, Speaker], yaml_labels: dict[str, str],
                 article_aliases: dict[str, str], excluded: set[str]):
        self.yaml = dict(yaml_labels)
        self.defined: dict[str, str] = {}
        self.article_aliases = dict(article_aliases)
        self.registry: dict[str, set[str]] = {}
        for speaker in speakers.values():
            if speaker.id in excluded:
                continue  # the author and editor: a line with only their name is a byline
            for name in (speaker.name, *speaker.aliases):
                self.registry.setdefault(name, set()).add(speaker.id)
                self.registry.setdefault(_squeeze(name), set()).add(speaker.id)
        # sorted, so the names a surname begins are one bisect away (the registry is the
        # whole corpus's, and every line of every article is looked up)
        self._sorted = sorted(self.registry)
        self._cache: dict[str, tuple[frozenset[str], str]] = {}

        self.conflicts: dict[str, tuple[frozenset[str], frozenset[str]]] = {}

    def define(self, alias: str, speaker_id: str) -> None:
        self.defined[alias] = speaker_id
        self._cache.clear()

    def beginning(self, prefix: str) -> set[str]:
        """Ids of the registered names and aliases that begin with `prefix`."""
        ids: set[str] = set()
        for name in self._sorted[bisect_left(self._sorted, prefix):]:
            if not name.startswith(prefix):
                break
            ids |= self.registry[name]
        return ids

    def continues_a_name(self, name: str, rest: str) -> bool:
        """True when `name`, a space, then `rest` spell a longer registered name (石井 布紀子)."""
        joined = name + _squeeze(rest[:24])
        for registered in self._sorted[bisect_left(self._sorted, name):]:
            if not registered.startswith(name):
                return False
            if len(registered) > len(name) and joined.startswith(registered):
                return True
        return False

    def resolve(self, label: str) -> tuple[frozenset[str], str]:
        if label not in self._cache:
            self._cache[label] = self._resolve(label)
        return self._cache[label]

    def _resolve(self, label: str) -> tuple[frozenset[str], str]:
        forms = [label, _squeeze(label)]
        stripped = _strip_title(label)
        if stripped != label:
            forms += [stripped, _squeeze(stripped)]
        for form in forms:
            for table, how in ((self.yaml, "yaml"), (self.defined, "defined"), (self.article_aliases, "alias")):
                if form in table:
                    chosen = frozenset({table[form]})
                    # the article says X where the registry says only Y: one of them is wrong
                    registered = next((self.registry[f] for f in forms if f in self.registry), None)
                    if registered and not chosen & registered:
                        self.conflicts[label] = (chosen, frozenset(registered))
                    return chosen, how
        for index, form in enumerate(forms):
            if form in self.registry:
                ids = frozenset(self.registry[form])
                # the label as written names one person, what is left after its title
                # another (岡本社長 an alias of 藤原, 岡本 the surname of 岡本昭彦)
                for other in forms[index + 1:]:
                    alt = self.registry.get(other) or (self.beginning(other) if len(other) >= 2 else set())
                    if set(alt) - ids:
                        self.conflicts[label] = (ids, frozenset(alt))
                break
        for form in forms:
            if form in self.registry:
                return frozenset(self.registry[form]), "name" if form == label else "title"
        for form in forms:
            if len(form) < 2:
                continue
            ids = self.beginning(form)
            if ids:
                return frozenset(ids), "surname"
        return frozenset(), "none"

    def exact(self, label: str) -> frozenset[str]:
        """A registered name, alias or label as written, an honorific allowed (no surname guess)."""
        ids, how = self.resolve(label)
        return ids if how != "surname" else frozenset()


def _squeeze(name: str) -> str:
    return "".join(name.split())


_TITLE_AT_END = re.compile("(?:" + "|".join(map(re.escape, TITLES)) + ")$")


def _strip_title(name: str) -> str:
    m = _TITLE_AT_END.search(name, 1)  # a title alone (知事) is a name, not a title
    return name[: m.start()].rstrip(SPACES + "・") if m else name


class Classifier:
    def __init__(self, resolver: Resolver, layouts: frozenset[str]):
        self.resolver = resolver
        self.layouts = layouts
        self.unknown_inline: list[str] = []  # label-like words inside lines that name nobody

    def _on(self, layout: str) -> bool:
        return layout in self.layouts

    def classify(self, line: str) -> Start | None:
        """The turn start at the beginning of a stripped line, or None."""
        if self._on("qa") and (m := QUESTION.match(line) or ANSWER.match(line)):
            role = "question" if QUESTION.match(line) else "answer"
            return self._marked(line, m.end(), role, "qa")
        if self._on("dash") and (m := DASH.match(line)) and not RULE.match(line):
            return self._marked(line, m.end(), "question", "dash")
        return self.label(line)

    def _marked(self, line: str, end: int, role: str, layout: str) -> Start:
        """A question or answer mark, with the speaker when a label follows it: Q(記者)「…」."""
        marker = line[:end].rstrip(SPACES)
        rest = line[end:]
        m = PAREN.match(rest)
        if m:
            ids, how = self.resolver.resolve(_before_colon(m.group("name")))
            if ids:
                return Start(layout, role, ids, marker + rest[: m.end()].rstrip(SPACES), end + m.end(), end + m.end(),
                             how, alone=end + m.end() >= len(line))
        return Start(layout, role, frozenset(), marker, end, end, "role", alone=end >= len(line))

    def label(self, line: str) -> Start | None:
        resolve = self.resolver.resolve
        if self._on("alias") and (m := ALIAS.match(line)):
            ids, how = resolve(m.group("name").strip(SPACES))
            return Start("alias", "speaker", ids, line[: m.end()].rstrip(SPACES + COLONS), m.end(), m.end(), how,
                         defines=m.group("alias"), alone=m.end() >= len(line))
        if self._on("bracket") and (m := BRACKET.match(line)):
            name = _before_colon(m.group("name")).strip(SPACES)
            ids, how = resolve(name)
            if ids or m.end() >= len(line) or len(name) <= MAX_UNREGISTERED_LABEL:
                return Start("bracket", "speaker", ids, name, line.index("】") + 1, m.end(), how,
                             alone=m.end() >= len(line))
        if self._on("paren"):
            m = PAREN.match(line) or CLOSE_PAREN.match(line)
            if m:
                name = _before_colon(m.group("name")).strip(SPACES)
                ids, how = resolve(name)
                if ids or m.end() >= len(line):
                    # unresolved and alone: (拍手), or a speaker the registry lacks; the
                    # parser decides from what surrounds it
                    return Start("paren", "speaker", ids, name, m.end(), m.end(), how, alone=m.end() >= len(line))
        m = NAMED.match(line)
        if not m:
            return None
        name, sep = m.group("name"), m.group("sep")
        end = m.end()
        alone = end >= len(line)
        if sep.strip(SPACES) and sep.strip(SPACES)[0] in COLONS:
            layout = "label-line" if alone else "label-colon"
            if not self._on(layout) and not (alone and self._on("label-colon")):
                return None
            ids, how = resolve(name)
            return Start(layout, "speaker", ids, name, m.start("sep") + len(sep.rstrip(SPACES)), end, how,
                         alone=alone)
        if sep == "「":
            if not self._on("press"):
                return None
            if not (_title_after(name) or self._declared(name)) or _quoted_in_narration(line, len(name)):
                return None  # 佐藤「はい」と答えた: a quotation in a sentence, not a label
            ids, how = resolve(name)
            if not ids and len(name) > MAX_UNREGISTERED_LABEL:
                return None
            return Start("press", "speaker", ids, name, len(name), len(name), how)  # ids empty: names nobody
        if sep.strip(SPACES):  # a dash
            if not self._on("label-dash"):
                return None
            ids = self.resolver.exact(name)
            if not ids:
                # names nobody: 田中――… among the article's 山田――… labels is a speaker the
                # registry lacks, そして――… is narration (the parser decides from the article)
                if len(name) > MAX_UNREGISTERED_LABEL:
                    return None
                return Start("label-dash", "speaker", ids, name, end, end, "none", alone=alone)
            return Start("label-dash", "speaker", ids, name, end, end, "name", alone=alone)
        if sep and not alone:  # spaces, then text
            if not (self._on("label-space") or self._on("label-colon") and self._declared(name)):
                return None
            ids = self.resolver.exact(name) if not self._declared(name) else resolve(name)[0]
            if not ids:
                # names nobody: a label only if it repeats like one (the parser decides)
                if len(name) > 6:
                    return None
                return Start("label-space", "speaker", ids, name, m.start("sep"), end, "none")
            rest = line[end:]
            if rest.startswith(TITLES):
                return None  # 山田太郎 さんの…: the honorific belongs to the name
            if self.resolver.continues_a_name(name, rest):
                return None  # 石井 布紀子(…): the full name written with a space, a roster line
            return Start("label-space", "speaker", ids, name, m.start("sep"), end, resolve(name)[1])
        # the name alone on its line
        if not self._on("label-line"):
            return None
        ids, how = resolve(name)
        if how == "surname" or not ids and len(name) > MAX_UNREGISTERED_LABEL:
            return None  # a short line is a label only when it is exactly a registered name
        # unresolved: a heading, a caption, or a speaker the registry lacks (the parser decides)
        return Start("label-line", "speaker", ids, name, len(line), len(line), how, bare=True, alone=True)

    def _declared(self, name: str) -> bool:
        return name in self.resolver.yaml or _strip_title(name) in self.resolver.yaml

    def inline_starts(self, line: str, offset: int) -> list[tuple[int, Start]]:
        """Turn starts inside a line after `offset`: (position in the line, start relative to it)."""
        if not self._on("label-colon"):
            return []
        found = []
        for m in INLINE.finditer(line, offset):
            name = m.group("name")
            ids = self.resolver.exact(name)
            if len(ids) != 1:
                self.unknown_inline.append(name)
            else:
                at = m.start("name")
                label_end = m.end() - at
                content = label_end + len(line[m.end():]) - len(line[m.end():].lstrip(SPACES))
                found.append((at, Start("label-colon", "speaker", ids, name, label_end, content, "name")))
        return found


def _quoted_in_narration(line: str, opening: int) -> bool:
    """「…」と言った: the quotation closes and a quotative verb follows."""
    close = line.find("」", opening)
    return close >= 0 and line.startswith(QUOTATIVE, close + 1)


def _before_colon(name: str) -> str:
    """(上田:NHK記者): the name is what comes before the colon."""
    for colon in COLONS:
        if colon in name:
            return name.split(colon, 1)[0]
    return name


def _title_after(name: str) -> bool:
    return _strip_title(name) != name


def parse_layouts(convention: str | list[str]) -> frozenset[str]:
    """The YAML's convention (a name or a list of names) as the set of layouts to try."""
    names = [convention] if isinstance(convention, str) else list(convention)
    return frozenset(LAYOUTS) if "auto" in names else frozenset(names)
