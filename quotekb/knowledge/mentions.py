"""Entity mentions: surface variants from corpus/entities.yaml, case-insensitive.

Variants written in Latin letters match only as whole words (api is not inside
rapid); the longest variant wins where variants overlap (ベル研究所 over ベル研).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from quotekb.ingest.knowledge import Entity
from quotekb.knowledge.layer import DocumentContext, layer


@dataclass(frozen=True)
class EntityMatcher:
    pattern: re.Pattern
    entity_of: dict[str, str]  # regex group name -> entity id


def compile_entities(entities: list[Entity]) -> EntityMatcher | None:
    variants = sorted(
        ((v, e.id) for e in entities for v in e.variants), key=lambda pair: (-len(pair[0]), pair[0])
    )
    if not variants:
        return None
    parts = []
    for index, (variant, _entity) in enumerate(variants):
        body = re.escape(variant).replace(r"\ ", r"\s+")
        if variant[0].isascii() and variant[0].isalnum():
            body = r"(?<![A-Za-z0-9])" + body
        if variant[-1].isascii() and variant[-1].isalnum():
            body = body + r"(?![A-Za-z0-9])"
        parts.append(f"(?P<v{index}>{body})")
    # A lookahead on the possible first characters lets the regex engine skip every
    # other position at once instead of trying each alternative there (17x faster).
    firsts = "".join(sorted({r"\s" if v[0].isspace() else re.escape(v[0]) for v, _entity in variants}))
    return EntityMatcher(
        re.compile(f"(?=[{firsts}])(?:{'|'.join(parts)})", re.IGNORECASE),
        {f"v{i}": entity for i, (_v, entity) in enumerate(variants)},
    )


@layer("mentions", reads=("sentences", "sections", "key_points"), writes=("mentions",))
def mentions(ctx: DocumentContext) -> dict[str, list[dict]]:
    # section headings and key points are not sentences, but entities are named there too
    units = [("heading", s["heading_start"], s["heading_end"]) for s in ctx.rows["sections"]]
    units += [("key_point", k["start"], k["end"]) for k in ctx.rows["key_points"]]
    return {"mentions": mention_rows(ctx.knowledge.entity_pattern, ctx.document_id, ctx.rows["sentences"],
                                     ctx.article.text, units)}


def mention_rows(matcher: EntityMatcher | None, document_id: str, sentences: list[dict], text: str,
                 units: list[tuple[str, int, int]] = ()) -> list[dict]:
    """Matches over the whole text in one pass, kept when inside a sentence or inside one
    of `units` ((unit, start, end) of section headings and key points: sentence_id NULL)."""
    if matcher is None or not (sentences or units):
        return []
    starts = [s["start"] for s in sentences]
    rows = []
    for m in matcher.pattern.finditer(text):
        i = bisect_right(starts, m.start()) - 1
        if i >= 0 and m.end() <= sentences[i]["end"]:
            sentence_id, unit = sentences[i]["id"], "sentence"
        else:
            unit = next((u for u, start, end in units if start <= m.start() and m.end() <= end), None)
            if unit is None:
                continue  # in a speaker label or other page furniture
            sentence_id = None
        rows.append({
            "document_id": document_id,
            "entity_id": matcher.entity_of[m.lastgroup],
            "sentence_id": sentence_id,
            "start": m.start(),
            "end": m.end(),
            "text": m.group(0),
            "unit": unit,
        })
    return rows
