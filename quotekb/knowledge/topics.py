"""Topics of sentences and claims: corpus/topics.yaml coding rules over Sudachi forms."""

from __future__ import annotations

import json

from quotekb.knowledge.layer import DocumentContext, layer


@layer("topics", reads=("sentences", "claims"), writes=("sentence_topics", "claim_topics"))
def topics(ctx: DocumentContext) -> dict[str, list[dict]]:
    extractor = ctx.knowledge
    topic_list = extractor.knowledge.topics
    claim_of_sentence = {c["sentence_id"]: c["id"] for c in ctx.rows["claims"]}
    sentence_topics, claim_topics = [], []
    for s in ctx.rows["sentences"]:
        for index, matched in extractor.topic_index.match(ctx.views[s["id"]]).items():
            topic_id = topic_list[index].id
            value = json.dumps(matched, ensure_ascii=False)
            sentence_topics.append({"sentence_id": s["id"], "topic_id": topic_id, "matched": value})
            if s["id"] in claim_of_sentence:
                claim_topics.append({"claim_id": claim_of_sentence[s["id"]], "topic_id": topic_id, "matched": value})
    return {"sentence_topics": sentence_topics, "claim_topics": claim_topics}
