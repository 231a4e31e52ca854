"""Topics of sentences and claims: corpus/topics.yaml coding rules over Sudachi forms.

A sentence that matches no rule but refers back (cues.yaml topic_anaphora: これ, それ,
この法則, 彼ら) carries the topics of the nearest earlier sentence of its turn that has
some, at most CARRY_WINDOW sentences back; `matched` records the anaphor and the terms
that matched in that sentence ("anaphora: これ -> スケーリング 則").
"""

from __future__ import annotations

import json

from quotekb.knowledge.layer import DocumentContext, layer

CARRY_WINDOW = 2


@layer("topics", reads=("sentences", "claims"), writes=("sentence_topics", "claim_topics"))
def topics(ctx: DocumentContext) -> dict[str, list[dict]]:
    extractor = ctx.knowledge
    topic_list = extractor.knowledge.topics
    anaphora = extractor.knowledge.cues["topic_anaphora"]
    claim_of_sentence = {c["sentence_id"]: c["id"] for c in ctx.rows["claims"]}
    sentence_topics, claim_topics = [], []
    recent: list[dict[str, list[str]]] = []  # topics of the turn's last sentences, newest last
    turn = None
    for s in ctx.rows["sentences"]:
        if s["turn_id"] != turn:
            turn, recent = s["turn_id"], []
        view = ctx.views[s["id"]]
        found = {topic_list[i].id: matched for i, matched in extractor.topic_index.match(view).items()}
        if not found:
            words = anaphora.find(view)
            earlier = next((t for t in reversed(recent[-CARRY_WINDOW:]) if t), None)
            if words and earlier:
                found = {tid: [f"anaphora: {words[0]} -> {terms}" for terms in matched]
                         for tid, matched in earlier.items()}
        recent.append({tid: [m.split(" -> ")[-1] for m in matched] for tid, matched in found.items()})
        for topic_id, matched in found.items():
            value = json.dumps(matched, ensure_ascii=False)
            sentence_topics.append({"sentence_id": s["id"], "topic_id": topic_id, "matched": value})
            if s["id"] in claim_of_sentence:
                claim_topics.append({"claim_id": claim_of_sentence[s["id"]], "topic_id": topic_id, "matched": value})
    return {"sentence_topics": sentence_topics, "claim_topics": claim_topics}
