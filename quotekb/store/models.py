"""SQLAlchemy 2.x declarative models: the normalized schema of quotekb.db.

Every row that quotes the source carries `start`/`end` code-point offsets into
`documents.text` and the quoted `text`, so `documents.text[start:end] == text` can be
checked in SQL. Integer ids are assigned in build order (articles sorted by id);
claim ids are content hashes so that they survive rebuilds and unrelated edits.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from quotekb.vocabulary import (
    CERTAINTIES,
    CLAIM_KINDS,
    ENTITY_KINDS,
    MENTION_ROLES,
    QUOTE_ATTRIBUTIONS,
    QUOTE_KINDS,
    SEGMENT_KINDS,
    SENTENCE_KINDS,
    SPEAKER_ROLES,
    STANCE_SOURCES,
    STANCES,
    TEXT_UNITS,
    TURN_KINDS,
)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    """`column = 'a' OR column = 'b' ...`, not `column IN ('a', 'b')`: SQLite 3.40
    builds a temporary index of an IN list again for every row a statement inserts,
    which made each such CHECK cost about 4 us per row (about 1.5 s of a 1,000-article
    build, 376,000 checked values) against 0.2 us for the comparisons."""
    return " OR ".join(f"{column} = '{v}'" for v in values)


def _enum_check(column: str, values: tuple[str, ...]) -> CheckConstraint:
    return CheckConstraint(_one_of(column, values), name=f"ck_{column}_enum")


def _nullable_enum_check(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IS NULL OR {_one_of(column, values)}", name=name)


def _span_check() -> CheckConstraint:
    return CheckConstraint('0 <= start AND start <= "end"', name="ck_span")


class Base(DeclarativeBase):
    pass


class Speaker(Base):
    __tablename__ = "speakers"
    __table_args__ = (_enum_check("role", SPEAKER_ROLES),)

    id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(String)
    name_en: Mapped[str | None] = mapped_column(String)
    reading: Mapped[str | None] = mapped_column(String)
    role: Mapped[str] = mapped_column(String)
    affiliation: Mapped[str | None] = mapped_column(String)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(
            "published_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'",
            name="ck_published_on_iso",
        ),
        CheckConstraint("length(sha256) = 64", name="ck_sha256_hex"),
    )

    id: Mapped[str] = mapped_column(String, primary_key=True)
    # NULL only for a news excerpt without a headline line or a date
    title: Mapped[str | None] = mapped_column(String)
    published_on: Mapped[str | None] = mapped_column(String)
    language: Mapped[str] = mapped_column(String)
    author: Mapped[str | None] = mapped_column(ForeignKey("speakers.id"), index=True)
    editor: Mapped[str | None] = mapped_column(ForeignKey("speakers.id"), index=True)
    publisher: Mapped[str | None] = mapped_column(String)
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String)
    source_file: Mapped[str] = mapped_column(String)
    encoding: Mapped[str] = mapped_column(String)
    sha256: Mapped[str] = mapped_column(String)
    # content hashes of the text file (above) and of the YAML: incremental builds
    # reprocess a document only when one of them changed
    yaml_sha256: Mapped[str] = mapped_column(String)
    char_count: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)

    sections: Mapped[list[Section]] = relationship(back_populates="document")
    turns: Mapped[list[Turn]] = relationship(back_populates="document")


class SpeakerLabel(Base):
    """How a document labels its speakers in the text (from the article YAML)."""

    __tablename__ = "speaker_labels"
    __table_args__ = (UniqueConstraint("document_id", "label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    label: Mapped[str] = mapped_column(String)
    speaker_id: Mapped[str] = mapped_column(ForeignKey("speakers.id"), index=True)


class Segment(Base):
    """Contiguous span of the source; a document's segments tile its text exactly."""

    __tablename__ = "segments"
    __table_args__ = (
        UniqueConstraint("document_id", "position"),
        _enum_check("kind", SEGMENT_KINDS),
        _span_check(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String)
    line: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class Section(Base):
    __tablename__ = "sections"
    __table_args__ = (
        UniqueConstraint("document_id", "number"),
        _span_check(),
        CheckConstraint("heading_start <= heading_end", name="ck_heading_span"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String)
    subtitle: Mapped[str | None] = mapped_column(String)
    # the heading lines (title and subtitle) as they stand in the source
    heading_start: Mapped[int] = mapped_column(Integer)
    heading_end: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(String)
    # the whole section: number line through the end of its last turn
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)

    document: Mapped[Document] = relationship(back_populates="sections")


class Turn(Base):
    __tablename__ = "turns"
    __table_args__ = (
        UniqueConstraint("document_id", "position"),
        _enum_check("kind", TURN_KINDS),
        _span_check(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id"), index=True)
    # NULL: the writer of a news article that names none
    speaker_id: Mapped[str | None] = mapped_column(ForeignKey("speakers.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String)
    label: Mapped[str | None] = mapped_column(String)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)

    document: Mapped[Document] = relationship(back_populates="turns")


class Sentence(Base):
    __tablename__ = "sentences"
    __table_args__ = (
        UniqueConstraint("document_id", "position"),
        _enum_check("kind", SENTENCE_KINDS),
        _span_check(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("turns.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id"), index=True)
    speaker_id: Mapped[str | None] = mapped_column(ForeignKey("speakers.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    position_in_turn: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class KeyPoint(Base):
    __tablename__ = "key_points"
    __table_args__ = (
        UniqueConstraint("document_id", "number"),
        _span_check(),
        CheckConstraint("similarity IS NULL OR similarity BETWEEN 0 AND 1", name="ck_similarity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # aligned by the knowledge layer: the transcript sentence this point summarizes
    # (the first of `sentence_count` consecutive sentences), or NULL when even the best
    # candidate scored below the threshold; `similarity` is that best score either way
    sentence_id: Mapped[int | None] = mapped_column(ForeignKey("sentences.id"), index=True)
    end_sentence_id: Mapped[int | None] = mapped_column(ForeignKey("sentences.id"))
    sentence_count: Mapped[int | None] = mapped_column(Integer)
    speaker_id: Mapped[str | None] = mapped_column(ForeignKey("speakers.id"), index=True)
    similarity: Mapped[float | None] = mapped_column(Float)



class Lexeme(Base):
    """What a Sudachi morpheme is, apart from where it occurs: stored once, however
    often it occurs (the `tokens` view joins it back onto every occurrence)."""

    __tablename__ = "lexemes"
    # the merge of a build shard finds existing lexemes by these columns (pos follows
    # from pos_detail); a full build numbers them in order of first occurrence (an incremental one appends)
    __table_args__ = (
        UniqueConstraint("surface", "dictionary_form", "normalized_form", "reading", "pos_detail",
                         name="uq_lexemes_forms"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    surface: Mapped[str] = mapped_column(String)
    dictionary_form: Mapped[str] = mapped_column(String)
    normalized_form: Mapped[str] = mapped_column(String, index=True)
    reading: Mapped[str] = mapped_column(String)
    pos: Mapped[str] = mapped_column(String)
    pos_detail: Mapped[str] = mapped_column(String)


class Morpheme(Base):
    """One occurrence of a lexeme in a sentence (split mode A); documents.text[start:end]
    is the lexeme's surface."""

    __tablename__ = "morphemes"
    # the primary key is the storage order (WITHOUT ROWID): one B-tree instead of a
    # rowid table plus a key index, and rows arrive in key order
    __table_args__ = (_span_check(), {"sqlite_with_rowid": False})

    sentence_id: Mapped[int] = mapped_column(ForeignKey("sentences.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    # index among the sentence's searchable tokens (punctuation and spaces are NULL),
    # so phrase matches in SQL line up with the full-text index
    search_position: Mapped[int | None] = mapped_column(Integer)
    lexeme_id: Mapped[int] = mapped_column(ForeignKey("lexemes.id"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)


class Claim(Base):
    """An asserted sentence, with who says it, whose view it reports and why it was
    classified as it was (`cues`: JSON object of the cue words per decision)."""

    __tablename__ = "claims"
    __table_args__ = (
        _enum_check("kind", CLAIM_KINDS),
        _enum_check("certainty", CERTAINTIES),
        _span_check(),
        UniqueConstraint("sentence_id"),
    )

    id: Mapped[str] = mapped_column(String, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    speaker_id: Mapped[str | None] = mapped_column(ForeignKey("speakers.id"), index=True)
    # a quote's speaker for the claims of its sentence (NULL when the text names nobody)
    attributed_to: Mapped[str | None] = mapped_column(ForeignKey("speakers.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id"), index=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("turns.id"), index=True)
    sentence_id: Mapped[int] = mapped_column(ForeignKey("sentences.id"))
    position: Mapped[int] = mapped_column(Integer, index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # indexed: the claims page facets on kind and hedged and sorts by position
    kind: Mapped[str] = mapped_column(String, index=True)
    hedged: Mapped[bool] = mapped_column(Boolean, index=True)
    certain: Mapped[bool] = mapped_column(Boolean)
    # hedged / certain read together, for people: hedged, neutral, certain or mixed
    certainty: Mapped[str] = mapped_column(String, index=True)
    has_number: Mapped[bool] = mapped_column(Boolean)
    cues: Mapped[str] = mapped_column(Text)


class Quote(Base):
    """A quoted span of reported speech (news) or inside a transcript turn: the words
    (`start`/`end`/`text`, inside the brackets for a direct quote), the whole span with
    its brackets (`span_*`), how it was reported (`cue`) and how its speaker was found
    (`attribution`, with the words that decided it in `evidence_*`). speaker_id is NULL
    when the text does not say who."""

    __tablename__ = "quotes"
    __table_args__ = (
        _enum_check("kind", QUOTE_KINDS),
        _enum_check("attribution", QUOTE_ATTRIBUTIONS),
        _span_check(),
        CheckConstraint("span_start <= start AND \"end\" <= span_end", name="ck_quote_within_span"),
        CheckConstraint("(evidence_start IS NULL) = (evidence IS NULL)", name="ck_quote_evidence"),
    )

    id: Mapped[str] = mapped_column(String, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    sentence_id: Mapped[int] = mapped_column(ForeignKey("sentences.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    # indexed: the quotes page facets on speaker, kind and cue
    speaker_id: Mapped[str | None] = mapped_column(ForeignKey("speakers.id"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    span_start: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    span_text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String, index=True)
    cue: Mapped[str | None] = mapped_column(String, index=True)
    attribution: Mapped[str] = mapped_column(String)
    evidence_start: Mapped[int | None] = mapped_column(Integer)
    evidence_end: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str | None] = mapped_column(String)


class Topic(Base):
    __tablename__ = "topics"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    label_ja: Mapped[str] = mapped_column(String)
    label_en: Mapped[str] = mapped_column(String)
    description: Mapped[str] = mapped_column(Text)
    rules: Mapped[str] = mapped_column(Text)


class SentenceTopic(Base):
    __tablename__ = "sentence_topics"

    sentence_id: Mapped[int] = mapped_column(ForeignKey("sentences.id"), primary_key=True)
    topic_id: Mapped[str] = mapped_column(ForeignKey("topics.id"), primary_key=True, index=True)
    matched: Mapped[str] = mapped_column(Text)


class ClaimTopic(Base):
    __tablename__ = "claim_topics"

    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    topic_id: Mapped[str] = mapped_column(ForeignKey("topics.id"), primary_key=True, index=True)
    matched: Mapped[str] = mapped_column(Text)


class Analogy(Base):
    """An analogy frame (corpus/analogies.yaml) as found in one document."""

    __tablename__ = "analogies"

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String, primary_key=True)
    source_domain: Mapped[str] = mapped_column(String)
    source_domain_en: Mapped[str] = mapped_column(String)
    target: Mapped[str | None] = mapped_column(String)
    target_en: Mapped[str] = mapped_column(String)
    ground: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[str | None] = mapped_column(ForeignKey("speakers.id"), index=True)
    proposal_sentence_id: Mapped[int | None] = mapped_column(ForeignKey("sentences.id"))
    mention_count: Mapped[int] = mapped_column(Integer)


class AnalogyMention(Base):
    __tablename__ = "analogy_mentions"
    __table_args__ = (
        ForeignKeyConstraint(["document_id", "analogy_id"], ["analogies.document_id", "analogies.id"]),
        UniqueConstraint("analogy_id", "sentence_id"),
        _enum_check("role", MENTION_ROLES),
        _nullable_enum_check("stance", STANCES, "ck_stance_enum"),
        _nullable_enum_check("stance_source", STANCE_SOURCES, "ck_stance_source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    analogy_id: Mapped[str] = mapped_column(String, index=True)
    sentence_id: Mapped[int] = mapped_column(ForeignKey("sentences.id"), index=True)
    speaker_id: Mapped[str | None] = mapped_column(ForeignKey("speakers.id"), index=True)
    role: Mapped[str] = mapped_column(String)
    stance: Mapped[str | None] = mapped_column(String)
    stance_cue: Mapped[str | None] = mapped_column(String)
    stance_source: Mapped[str | None] = mapped_column(String)
    matched: Mapped[str] = mapped_column(Text)


class AnalogyMarker(Base):
    """A sentence with comparison wording (例え, のような, 同様 ...): raw material for
    the analogy_candidates view."""

    __tablename__ = "analogy_markers"

    sentence_id: Mapped[int] = mapped_column(ForeignKey("sentences.id"), primary_key=True)
    cues: Mapped[str] = mapped_column(Text)


class Entity(Base):
    __tablename__ = "entities"
    __table_args__ = (_enum_check("kind", ENTITY_KINDS),)

    id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String)
    variants: Mapped[str] = mapped_column(Text)


class Mention(Base):
    __tablename__ = "mentions"
    __table_args__ = (_span_check(), _enum_check("unit", TEXT_UNITS))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), index=True)
    # NULL for a mention in a section heading or a key point, which are not sentences
    sentence_id: Mapped[int | None] = mapped_column(ForeignKey("sentences.id"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String)
    unit: Mapped[str] = mapped_column(String, default="sentence")  # TEXT_UNITS


class BuildInfo(Base):
    """What the database was built from: schema version and shared-file hashes."""

    __tablename__ = "build_info"

    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[str] = mapped_column(Text)
