"""The Japanese language layer: tokens, normalization, the plugin functions."""

from __future__ import annotations

import json
import subprocess
import sys

from quotekb import nlp
from quotekb.publish.datasette_plugin.functions import sudachi_tokens


def test_every_token_offset_matches_the_document_text(db):
    total, bad = db.execute(
        'SELECT count(*), sum(substr(d.text, t.start + 1, t."end" - t.start) != t.surface) '
        "FROM tokens t JOIN sentences s ON s.id = t.sentence_id JOIN documents d ON d.id = s.document_id"
    ).fetchone()
    assert total > 4000
    assert bad == 0


def test_tokens_tile_each_sentence(db):
    # consecutive tokens of a sentence abut, and together they cover it exactly
    rows = db.execute(
        "SELECT s.id, s.text, group_concat(t.surface, '') FROM sentences s "
        "JOIN (SELECT * FROM tokens ORDER BY sentence_id, position) t ON t.sentence_id = s.id GROUP BY s.id"
    ).fetchall()
    assert len(rows) == db.execute("SELECT count(*) FROM sentences").fetchone()[0]
    assert all(joined == text for _id, text, joined in rows)


def test_token_columns_for_an_inflected_verb(db):
    row = db.execute(
        "SELECT t.surface, t.dictionary_form, t.normalized_form, t.reading, t.pos, t.pos_detail FROM tokens t "
        "JOIN sentences s ON s.id = t.sentence_id WHERE s.text LIKE '%私は常々思っていました%' AND t.surface = '思っ'"
    ).fetchone()
    assert tuple(row)[:5] == ("思っ", "思う", "思う", "オモッ", "動詞")
    # the full six-level tuple, read from the Sudachi core dictionary entry of 思っ
    assert row[5] == "動詞,一般,*,*,五段-ワア行,連用形-促音便"


def test_normalization_folds_case_and_width():
    assert nlp.terms("AI") == nlp.terms("ai") == nlp.terms("ＡＩ") == ["ai"]
    assert nlp.terms("思います")[0] == nlp.terms("思っていました")[0] == "思う"
    assert nlp.terms("「、。」 \u3000") == []


def test_query_is_quoted_phrases_anded():
    assert nlp.fts_query("推論 コスト") == '"推論" AND "コスト"'
    assert nlp.fts_query('"太陽光発電 産業"') == '"太陽 光 発電 産業"'
    assert nlp.fts_query("スケーリング則") == '"スケーリング 則"'
    assert nlp.fts_query('a" OR NEAR(') == '"a" AND "or" AND "near"'
    assert nlp.fts_query("") == nlp.fts_query("。、") == '""'


def test_dictionary_loads_once():
    assert nlp.dictionary() is nlp.dictionary()


def test_sudachi_tokens_function_returns_json():
    assert json.loads(sudachi_tokens("電気を使う")) == ["電気", "を", "使う"]


def test_plugin_is_listed_by_datasette_plugins():
    out = subprocess.run([sys.executable, "-m", "datasette", "plugins"], capture_output=True, text=True, check=True)
    plugins = {p["name"]: p for p in json.loads(out.stdout)}
    assert "quotekb" in plugins
    assert {"prepare_connection", "filters_from_request", "render_cell"} <= set(plugins["quotekb"]["hooks"])


def test_word_frequencies_per_speaker(db):
    # read from the text: the noun モデル, counted in Dario Amodei's sentences
    texts = [r[0] for r in db.execute("SELECT text FROM sentences WHERE speaker_id = 'dario-amodei'")]
    expected = sum(t.count("モデル") for t in texts)
    got = db.execute(
        "SELECT occurrences FROM speaker_word_frequencies WHERE speaker_id = 'dario-amodei' "
        "AND normalized_form = 'モデル'"
    ).fetchone()[0]
    assert got == expected > 30
    top = [r[0] for r in db.execute("SELECT normalized_form FROM word_frequencies LIMIT 10")]
    assert "モデル" in top and "こと" not in top and "為る" not in top


def test_shared_lexemes_equal_what_sudachi_reports_for_each_morpheme(seed_text):
    # the build reads a morpheme's forms once per (surface, word id, pos id) and then
    # reuses them; every occurrence must still carry exactly Sudachi's own fields,
    # including words written two ways (AI, ＡＩ) and out-of-vocabulary names
    text = seed_text + "\nＡＩとAIとaiは同じ語だ。アモデイ氏とアモデイさん。走った。走る。一つ目と第一に。一人で一。"
    tokenizer = nlp.dictionary().tokenizer(mode=nlp.MODE)
    checked = 0
    for line in text.splitlines():
        direct = list(tokenizer.tokenize(line)) if line else []
        shared = nlp.morphemes(line)
        assert len(shared) == len(direct)
        for m, (lexeme, start, end) in zip(direct, shared, strict=True):
            pos = nlp.dictionary().pos_of(m.part_of_speech_id())
            assert lexeme.fields == (m.surface(), m.dictionary_form(), nlp.fold(m.normalized_form()),
                                     m.reading_form(), pos[0], ",".join(pos))
            assert (start, end) == (m.begin(), m.end())
            checked += 1
    assert checked > 5000  # the seed alone has 5,178 tokens


def test_token_rows_follow_the_table_columns():
    from quotekb.store.rows import LEXEME_COLUMNS, MORPHEME_COLUMNS
    from quotekb.store.writer import COLUMNS, LEXEME_FIELDS

    assert COLUMNS["morphemes"] == MORPHEME_COLUMNS
    assert LEXEME_FIELDS == LEXEME_COLUMNS == COLUMNS["lexemes"][1:]


def test_a_chunk_analysed_beforehand_gives_the_rows_of_one_analysed_inline():
    # workers tokenize a whole chunk first (rows.analyse), check.py sentence by
    # sentence inside document_rows: both must give the same rows
    from conftest import CORPUS
    from quotekb.ingest.corpus import load_corpus
    from quotekb.parse.document import parse_article
    from quotekb.store.rows import IdAllocator, Lexicon, analyse, document_rows

    corpus = load_corpus(CORPUS)
    docs = [parse_article(article, corpus.speakers) for article in corpus.articles]
    inline_lexicon, ahead_lexicon = Lexicon(), Lexicon()
    for doc, analysed in zip(docs, analyse(docs), strict=True):
        assert len(analysed) == len(doc.sentences)
        inline = document_rows(doc, IdAllocator(), inline_lexicon)
        ahead = document_rows(doc, IdAllocator(), ahead_lexicon, analysed=analysed)
        assert inline[0] == ahead[0]
        assert inline[1] == ahead[1]
        assert len(ahead[0]["morphemes"]) > 5000  # the seed's 5,178 tokens
    assert inline_lexicon.rows() == ahead_lexicon.rows()
