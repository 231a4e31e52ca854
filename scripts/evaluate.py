"""Score the knowledge layers against the hand annotations in tests/gold/.

    python scripts/evaluate.py                 # every gold file, per article and overall
    python scripts/evaluate.py --json          # the figures as JSON
    python scripts/evaluate.py --errors        # every unit where program and gold differ
    python scripts/evaluate.py --adjudicated   # with tests/gold/adjudications.jsonl applied
    python scripts/evaluate.py --write-ratchet # store the levels reached in tests/gold/ratchet.json

How it works:
- tests/gold/sources.yaml says, per gold file, where its text is and how the program's
  labels are obtained: `build` parses the article as `quotekb build` does and matches
  gold units to the program's sentences by span; `gold` runs the knowledge layers on
  the gold's own units and speakers, so a layout the parser does not know yet does not
  hide how good the rules are.
- Scored units: every gold unit except the key-point list items and the section
  headings, which quotekb keeps in key_points / sections rather than as sentences.
  A gold unit the program has no sentence for counts as "not a question, not a claim,
  no topic, no frame".
- Each layer is one scorer function in SCORERS: it takes the aligned units of one or
  more articles (gold labels beside the program's, which include each sentence's rows
  of the quotes table once a layer writes it) and returns its figures and printable
  lines. A new layer's scorer (for example the quotes layer's) is one more function
  appended to SCORERS; its figures join the JSON and the ratchet like the others.
- tests/gold/adjudications.jsonl lists gold labels that were judged wrong after the
  fact (tests/gold/README.md gives the reasons). They are applied only to the figures
  printed as "adjudicated"; the raw figures always use the gold as annotated.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from quotekb.ingest.corpus import SHARED_FILES, Article, Speaker, load_corpus, load_speakers
from quotekb.ingest.knowledge import load_knowledge
from quotekb.knowledge.pipeline import Extractor
from quotekb.parse.document import ParsedDocument, ParsedSentence, ParsedTurn, parse_article
from quotekb.parse.sentences import is_question
from quotekb.store.rows import IdAllocator, document_rows

REPO = Path(__file__).resolve().parent.parent
GOLD = REPO / "tests" / "gold"
NO_SPEAKER = "(none)"  # placeholder turn speaker for gold units with speaker null


@dataclass
class Unit:
    """One scored unit: the gold labels and the program's labels for the same span."""

    gold: dict
    program: dict


@dataclass
class GoldArticle:
    name: str
    held_out: bool
    units: list[Unit]
    parse: dict = field(default_factory=dict)  # segmentation agreement (build mode)
    blind: bool = False  # annotated and added without the rules ever being run or tuned on it


# --- the program's labels -----------------------------------------------------------

def _program_labels(rows: dict, article: Article) -> dict[tuple[int, int], dict]:
    """Labels per sentence span, in the gold's vocabulary."""
    claims = {c["sentence_id"]: c for c in rows["claims"]}
    topics: dict[int, set[str]] = {}
    for t in rows["sentence_topics"]:
        topics.setdefault(t["sentence_id"], set()).add(t["topic_id"])
    frames: dict[int, list[dict]] = {}
    for m in rows["analogy_mentions"]:
        frames.setdefault(m["sentence_id"], []).append(m)
    quotes: dict[int, list[dict]] = {}  # for a quotes scorer, once that layer writes them
    for q in rows.get("quotes", []):
        quotes.setdefault(q.get("sentence_id"), []).append(q)
    labels = {}
    for s in rows["sentences"]:
        claim = claims.get(s["id"])
        speaker = None if s["speaker_id"] == NO_SPEAKER else s["speaker_id"]
        labels[(s["start"], s["end"])] = {
            "speaker": speaker,
            "is_question": s["kind"] == "question",
            "rhetorical": s["kind"] == "rhetorical",
            "is_claim": claim is not None,
            "kind": claim["kind"] if claim else None,
            "hedged": bool(claim and claim["hedged"]),
            "certainty": _certainty(claim) if claim else None,
            "attributed_to": (None if not claim or claim["attributed_to"] == NO_SPEAKER else claim["attributed_to"]),
            "topics": topics.get(s["id"], set()),
            "mentions": {m["analogy_id"]: m for m in frames.get(s["id"], [])},
            "quotes": quotes.get(s["id"], []),
        }
    return labels


def _certainty(claim: dict) -> str:
    """The claim's certainty column; before it existed, what hedged and certain imply."""
    if "certainty" in claim:
        return claim["certainty"]
    return {(True, True): "mixed", (True, False): "hedged", (False, True): "certain"}.get(
        (bool(claim["hedged"]), bool(claim["certain"])), "neutral")


NOTHING = {"speaker": None, "is_question": False, "rhetorical": False, "is_claim": False, "kind": None,
           "hedged": False, "certainty": None, "attributed_to": None, "topics": set(), "mentions": {}, "quotes": []}


def _extractor(corpus_dir: Path, speakers: dict[str, Speaker]) -> Extractor:
    return Extractor(load_knowledge(corpus_dir, speakers), speakers)


@contextmanager
def _corpus_dir(source: dict):
    """The corpus to build from. A gold corpus that keeps only its own files (articles,
    speakers, topics...) gets the shared files it lacks from corpus/ (`shared: corpus`
    in sources.yaml), so cues.yaml and entities.yaml are not copies that go stale."""
    root = REPO / source["corpus"]
    if source.get("shared") != "corpus":
        yield root
        return
    with tempfile.TemporaryDirectory(prefix="quotekb-eval-") as tmp:
        assembled = Path(tmp) / "corpus"
        shutil.copytree(root, assembled)
        for name in SHARED_FILES:
            if not (assembled / name).exists():
                shutil.copy(REPO / "corpus" / name, assembled / name)
        yield assembled


def run_build(source: dict) -> tuple[dict, dict]:
    """The article as `quotekb build` processes it: labels by span, and segmentation."""
    with _corpus_dir(source) as root:
        corpus = load_corpus(root)
        article = next(a for a in corpus.articles if a.id == source["article"])
        extractor = _extractor(root, corpus.speakers)
    extractor.precheck(corpus.articles)
    ids = IdAllocator()
    rows, views = document_rows(parse_article(article, corpus.speakers), ids)
    extractor.run(article, rows, views, ids.assign)
    return _program_labels(rows, article), rows


def _fixture_speakers(path: Path) -> dict[str, Speaker]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    registry = load_speakers(REPO / "corpus" / "speakers.yaml")
    for entry in data.get("speakers", []):
        registry[entry["id"]] = Speaker(id=entry["id"], name=entry["name"], role=entry["role"],
                                        reading=entry.get("reading"), affiliation=entry.get("affiliation"),
                                        aliases=tuple(entry.get("aliases", ())))
    return registry


def gold_document(article: Article, units: list[dict], author: str | None) -> ParsedDocument:
    """A parsed document made of the gold's own units: the first heading is the
    headline, the author's units are the lead, consecutive units of one other speaker
    are one interview turn."""
    turns: list[ParsedTurn] = []
    sentences: list[ParsedSentence] = []
    for index, unit in enumerate(units):
        speaker = unit["speaker"] or NO_SPEAKER
        if index == 0 and unit["unit"] == "heading":
            turn_kind = "headline"
        elif author and speaker == author:
            turn_kind = "lead"
        else:
            turn_kind = "interview"
        last = turns[-1] if turns else None
        if last is None or last.kind != turn_kind or last.speaker_id != speaker or turn_kind == "headline":
            turns.append(ParsedTurn(turn_kind, speaker, None, None))
            position = 0
        turns[-1].paragraphs.append((unit["start"], unit["end"]))
        # as the parser marks sentences before the knowledge layers run
        kind = "question" if is_question(unit["text"]) else "statement"
        sentences.append(ParsedSentence(len(turns) - 1, position, kind, unit["start"], unit["end"]))
        position += 1
    return ParsedDocument(article, [], [], turns, sentences, [])


def run_gold_segments(source: dict, units: list[dict]) -> dict:
    text_path = REPO / source["text"]
    speakers = _fixture_speakers(REPO / source["speakers"])
    text = text_path.read_bytes().decode("utf-8")
    meta = {"title": units[0]["text"], "published_on": None, "language": "ja", "author": NO_SPEAKER}
    article = Article(id=text_path.stem, text_path=text_path, yaml_path=REPO / source["speakers"], meta=meta,
                      text=text, encoding="utf-8", sha256="", yaml_sha256="")
    extractor = _extractor(REPO / "corpus", speakers)
    ids = IdAllocator()
    rows, views = document_rows(gold_document(article, units, None), ids)
    extractor.run(article, rows, views, ids.assign)
    return _program_labels(rows, article)


# --- gold ---------------------------------------------------------------------------

def load_gold(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_adjudications(path: Path) -> dict[tuple[str, int, int], dict]:
    """(gold file, start, end) -> {field: adjudicated value}."""
    found: dict[tuple[str, int, int], dict] = {}
    if path.exists():
        for entry in load_gold(path):
            found.setdefault((entry["gold"], entry["start"], entry["end"]), {})[entry["field"]] = entry["adjudicated"]
    return found


def scored(units: list[dict]) -> list[dict]:
    """Units quotekb makes sentences of: not the key-point items, not section headings."""
    return [u for i, u in enumerate(units) if u["unit"] != "key_point" and (u["unit"] != "heading" or i == 0)]


def load_articles(adjudicated: bool = False) -> list[GoldArticle]:
    sources = yaml.safe_load((GOLD / "sources.yaml").read_text(encoding="utf-8"))["files"]
    fixes = load_adjudications(GOLD / "adjudications.jsonl") if adjudicated else {}
    articles = []
    for source in sources:
        all_units = load_gold(GOLD / source["gold"])
        for unit in all_units:
            unit.update(fixes.get((source["gold"], unit["start"], unit["end"]), {}))
        units = scored(all_units)
        parse = {}
        if source["segmentation"] == "build":
            labels, rows = run_build(source)
            gold_spans = {(u["start"], u["end"]) for u in all_units if u["unit"] != "key_point"}
            program_spans = set(labels)
            parse = {"gold_units": len(gold_spans), "program_sentences": len(program_spans),
                     "same_span": len(gold_spans & program_spans)}
        else:
            labels = run_gold_segments(source, units)
        aligned = [Unit(u, labels.get((u["start"], u["end"]), NOTHING)) for u in units]
        articles.append(GoldArticle(source["gold"].removesuffix(".jsonl"), source["held_out"], aligned, parse,
                                    source.get("blind", False)))
    return articles


# --- scorers ------------------------------------------------------------------------

@dataclass
class Score:
    figures: dict[str, float | None]  # name -> value (None: nothing to score)
    lines: list[str]


def _pr(gold: list[bool], program: list[bool]) -> tuple[float | None, float | None, int, int, int]:
    tp = sum(1 for g, p in zip(gold, program, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, program, strict=True) if p and not g)
    fn = sum(1 for g, p in zip(gold, program, strict=True) if g and not p)
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    return precision, recall, tp, fp, fn


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 2 * p * r / (p + r) if p + r else 0.0


def _binary(name: str, label: str, units: list[Unit], key: Callable[[dict], bool]) -> Score:
    p, r, tp, fp, fn = _pr([key(u.gold) for u in units], [key(u.program) for u in units])
    line = f"{label:<26} P {_f(p)}  R {_f(r)}  (tp {tp}, fp {fp}, fn {fn})"
    return Score({f"{name}_precision": p, f"{name}_recall": r}, [line])


def score_questions(units: list[Unit]) -> Score:
    score = _binary("question", "questions", units, lambda x: x["is_question"])
    rhetorical = _binary("rhetorical", "rhetorical questions", units, lambda x: x["rhetorical"])
    score.figures.update(rhetorical.figures)
    score.lines += rhetorical.lines
    return score


def score_claims(units: list[Unit]) -> Score:
    return _binary("claim", "claims", units, lambda x: x["is_claim"])


def _both_claims(units: list[Unit]) -> list[Unit]:
    return [u for u in units if u.gold["is_claim"] and u.program["is_claim"]]


def _accuracy(name: str, label: str, pairs: list[tuple[object, object]]) -> tuple[dict, str]:
    right = sum(1 for g, p in pairs if g == p)
    value = right / len(pairs) if pairs else None
    return {name: value}, f"{label:<26} {_f(value)}  ({right}/{len(pairs)})"


def _confusion(pairs: list[tuple[str, str]]) -> list[str]:
    labels = sorted({g for g, _ in pairs} | {p for _, p in pairs})
    counts = Counter(pairs)
    width = max(len(x) for x in labels) + 1
    head = " " * (width + 8) + "".join(f"{x[:11]:>12}" for x in labels)
    lines = ["  kind confusion (rows gold, columns program):", head]
    for g in labels:
        lines.append(f"    {g:<{width}}    " + "".join(f"{counts[(g, p)]:>12}" for p in labels))
    return lines


def score_kinds(units: list[Unit]) -> Score:
    pairs = [(u.gold["kind"], u.program["kind"]) for u in _both_claims(units)]
    figures, line = _accuracy("kind_accuracy", "claim kind accuracy", pairs)
    return Score(figures, [line, *(_confusion(pairs) if pairs else [])])


def score_hedges(units: list[Unit]) -> Score:
    both = _both_claims(units)
    score = _binary("hedged", "hedged (claims in both)", both, lambda x: x["hedged"])
    pairs = [(u.gold["certainty"], u.program["certainty"]) for u in both]
    figures, line = _accuracy("certainty_accuracy", "certainty accuracy", pairs)
    score.figures.update(figures)
    score.lines.append(line)
    return score


def score_topics(units: list[Unit]) -> Score:
    topics = sorted({t for u in units for t in u.gold["topics"]} | {t for u in units for t in u.program["topics"]})
    lines, total = [], Counter()
    for topic in topics:
        p, r, tp, fp, fn = _pr([topic in u.gold["topics"] for u in units],
                               [topic in u.program["topics"] for u in units])
        total.update(tp=tp, fp=fp, fn=fn)
        lines.append(f"  {topic:<32} P {_f(p)}  R {_f(r)}  F1 {_f(_f1(p, r))}  (tp {tp}, fp {fp}, fn {fn})")
    p = total["tp"] / (total["tp"] + total["fp"]) if total["tp"] + total["fp"] else None
    r = total["tp"] / (total["tp"] + total["fn"]) if total["tp"] + total["fn"] else None
    head = (f"{'topics (micro)':<26} P {_f(p)}  R {_f(r)}  F1 {_f(_f1(p, r))}  "
            f"(tp {total['tp']}, fp {total['fp']}, fn {total['fn']})")
    return Score({"topic_precision": p, "topic_recall": r, "topic_f1": _f1(p, r)}, [head, *lines])


ROLE = {"framing": None}  # the program's author-voice role; the gold writes null


def score_analogies(units: list[Unit]) -> Score:
    gold = {(i, u.gold["analogy"]) for i, u in enumerate(units) if u.gold["analogy"]}
    program = {(i, frame) for i, u in enumerate(units) for frame in u.program["mentions"]}
    tp = gold & program
    p = len(tp) / len(program) if program else None
    r = len(tp) / len(gold) if gold else None
    roles, stances = [], []
    for i, frame in sorted(tp):
        mention, g = units[i].program["mentions"][frame], units[i].gold
        roles.append((g["role"], ROLE.get(mention["role"], mention["role"])))
        if g["role"] == "response":
            stances.append((g["stance"], mention["stance"]))
    role_figures, role_line = _accuracy("analogy_role_accuracy", "analogy role accuracy", roles)
    stance_figures, stance_line = _accuracy("analogy_stance_accuracy", "stance accuracy (responses)", stances)
    line = (f"{'analogy mentions':<26} P {_f(p)}  R {_f(r)}  "
            f"(tp {len(tp)}, fp {len(program - gold)}, fn {len(gold - program)})")
    return Score({"analogy_precision": p, "analogy_recall": r, **role_figures, **stance_figures},
                 [line, role_line, stance_line])


def score_attribution(units: list[Unit]) -> Score:
    """Whose view a claim reports: attributed_to, or the speaker where nobody else is
    named (the gold writes attributed_to only for an explicit reporting frame)."""
    pairs = [(u.gold["attributed_to"] or u.gold["speaker"], u.program["attributed_to"]) for u in _both_claims(units)]
    figures, line = _accuracy("attribution_accuracy", "attribution (claims)", pairs)
    return Score(figures, [line])


# One function per layer; a new layer's scorer is appended here.
SCORERS: list[Callable[[list[Unit]], Score]] = [
    score_questions, score_claims, score_kinds, score_hedges, score_topics, score_analogies, score_attribution,
]


def score_all(units: list[Unit]) -> Score:
    figures, lines = {}, []
    for scorer in SCORERS:
        result = scorer(units)
        figures.update(result.figures)
        lines.extend(result.lines)
    return Score(figures, lines)


def _groups(articles: list[GoldArticle]) -> dict[str, list[Unit]]:
    """The pooled groups: the held-out files whose errors were read while rules were
    written, the blind ones (never), and everything."""
    return {
        "held-out": [u for a in articles if a.held_out and not a.blind for u in a.units],
        "blind": [u for a in articles if a.blind for u in a.units],
        "overall": [u for a in articles for u in a.units],
    }


GROUP_TITLES = {"held-out": "held-out files together (not blind)", "blind": "blind held-out files together",
                "overall": "overall"}


def evaluate(adjudicated: bool = False) -> dict[str, dict]:
    """Figures per article, for the pooled groups (_groups) and overall."""
    articles = load_articles(adjudicated)
    groups = {a.name: a.units for a in articles}
    groups.update(_groups(articles))
    return {name: score_all(units).figures for name, units in groups.items()}


def report(adjudicated: bool = False, out=sys.stdout) -> None:
    articles = load_articles(adjudicated)
    groups = [(a.name + (" (blind, held out)" if a.blind else " (held out)" if a.held_out else ""), a.units, a.parse)
              for a in articles]
    groups += [(GROUP_TITLES[name], units, {}) for name, units in _groups(articles).items() if units]
    title = "adjudicated gold (tests/gold/adjudications.jsonl applied)" if adjudicated else "raw gold"
    print(f"# quotekb knowledge evaluation, {title}", file=out)
    for name, units, parse in groups:
        print(f"\n## {name}: {len(units)} units", file=out)
        if parse:
            print(f"segmentation: {parse['same_span']} of {parse['gold_units']} gold units are program sentences "
                  f"with the same span ({parse['program_sentences']} program sentences)", file=out)
        for line in score_all(units).lines:
            print(line, file=out)


FIELDS = ("is_question", "rhetorical", "is_claim", "kind", "hedged", "certainty", "topics", "analogy", "attributed_to")


def disagreements(out=sys.stdout) -> None:
    """Every unit where the program and the gold differ, field by field (for reading)."""
    for article in load_articles():
        for u in article.units:
            g, p = u.gold, u.program
            program = {**p, "analogy": ",".join(sorted(
                f"{f}/{ROLE.get(m['role'], m['role'])}/{m['stance']}" for f, m in p["mentions"].items())) or None}
            gold = {**g, "analogy": f"{g['analogy']}/{g['role']}/{g['stance']}" if g["analogy"] else None,
                    "topics": set(g["topics"]), "attributed_to": g["attributed_to"] or g["speaker"]}
            diff = [f"{f}: gold {gold[f]} / program {program[f]}" for f in FIELDS
                    if gold[f] != program[f] and not (f in ("kind", "hedged", "certainty", "attributed_to")
                                                      and not (g["is_claim"] and p["is_claim"]))]
            if diff:
                print(f"{article.name} {g['start']}-{g['end']} [{g['speaker']}] {g['text']}", file=out)
                for line in diff:
                    print("    " + line, file=out)


RATCHET = GOLD / "ratchet.json"
RATCHET_GROUPS = ("seed", "held-out", "blind", "overall")


def write_ratchet(path: Path = RATCHET) -> dict:
    """Store the levels reached, rounded down to 0.01, for tests/knowledge/test_eval_ratchet.py."""
    figures = evaluate()
    # a figure of 0 is no level reached (a floor of 0 could never fail)
    floors = {group: {name: math.floor(value * 100) / 100 for name, value in sorted(figures[group].items())
                      if value}
              for group in RATCHET_GROUPS}
    path.write_text(json.dumps(floors, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return floors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--adjudicated", action="store_true", help="apply tests/gold/adjudications.jsonl")
    parser.add_argument("--errors", action="store_true", help="print every disagreement with the gold")
    parser.add_argument("--write-ratchet", action="store_true",
                        help="store the figures reached (rounded down) in tests/gold/ratchet.json")
    args = parser.parse_args()
    if args.write_ratchet:
        write_ratchet()
    elif args.errors:
        disagreements()
    elif args.json:
        print(json.dumps(evaluate(args.adjudicated), indent=2, sort_keys=True))
    else:
        report(args.adjudicated)


if __name__ == "__main__":
    main()
