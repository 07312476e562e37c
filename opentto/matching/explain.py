"""Explanations: why a document matched (score parts, matched terms in both forms, best passage)."""

from __future__ import annotations

import math

import numpy as np

from .dense import _DensePass, _Scores
from .documents import Explanation, TermMatch
from .fusion import ScoreBasis


class _Explaining(_DensePass):
    """Explanations of single documents."""

    def _score_one(self, sc: _Scores, slot: int, mode: str) -> _Scores:
        vector = sc.prepared.vector
        assert vector is not None
        d = float(self._vec.slot_scores(np.array([slot]), vector)[0])
        dense, fused = sc.dense.copy(), sc.fused.copy()
        dense[slot] = d
        basis = sc.basis
        if mode == "dense":
            fused[slot] = d
        else:
            f = self.fusion
            mu, sd = self._dense_stats(vector)
            alive = self._alive()
            live = sc.lexical[alive]
            lsd = float(live.std())
            zd = (d - mu) / sd if sd >= 1e-9 else 0.0
            zl = (float(sc.lexical[slot]) - float(live.mean())) / lsd if lsd >= 1e-9 else 0.0
            wl = f.lexical_weight_of(sc.prepared.cross_lingual, sc.prepared.short)
            fused[slot] = f.dense_weight * zd + wl * zl
            basis = ScoreBasis(
                "hybrid",
                f.dense_weight,
                mu,
                sd,
                wl,
                float(live.mean()) if lsd >= 1e-9 else 0.0,
                lsd if lsd >= 1e-9 else 0.0,
            )
        return _Scores(sc.lexical, dense, fused, sc.prepared, basis=basis)

    def _explain(
        self, sc: _Scores, slot: int, contrib: dict[str, float] | None = None
    ) -> Explanation:
        """``contrib``: the slot's per-term BM25 shares when the caller has them."""
        doc_id = self.slot_ids[slot]
        doc, stored_passages = self._document(doc_id)
        prep = sc.prepared
        if contrib is None:
            contrib = self.bm25.term_scores(prep.terms, slot) if prep.terms else {}
        # a Chinese token's surface form is the token itself: no segmentation of the document
        doc_forms = self.analyzer.surfaces(doc.body + "\n" + "\n".join(doc.keywords), chinese=False)
        terms = sorted(
            (
                TermMatch(
                    t, prep.forms.get(t, t), doc_forms.get(t, t), round(s, 4), t in prep.translated
                )
                for t, s in contrib.items()
            ),
            key=lambda m: -m.score,
        )
        passages = stored_passages or [doc.body]
        best = 0
        if prep.vector is not None and len(passages) > 1:
            best = int(np.argmax(self._vec.of_slot(slot) @ prep.vector))
        elif len(passages) > 1:
            keys = set(contrib)
            best = max(
                range(len(passages)),
                key=lambda i: len(keys & set(self.analyzer.analyze(passages[i]))),
            )
        fused = float(sc.fused[slot])
        return Explanation(
            doc_id,
            float(sc.lexical[slot]),
            float(sc.dense[slot]),
            fused if math.isfinite(fused) else 0.0,
            tuple(terms),
            passages[best],
            best,
            sc.basis,
        )
