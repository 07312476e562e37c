"""Synthetic embeddings for the load benchmark (``OPENTTO_MATCHING_EMBED_FN`` in
``bench/load/settings.py``): the 100,000 generated texts cannot be embedded by the model in
reasonable time, and random vectors would give the dense tier nothing to find. Each text's vector
is the sum of the *concept* vectors of the generated vocabulary it contains (a Chinese word and its
English translation share one concept: ``words.WORDS_ZH[i]`` / ``WORDS_EN[i]``) plus a little
noise seeded by the text, normalised: texts about the same things are neighbours, across the two
languages, as with the real model. Cost: tens of microseconds a text (the real model: 20–80 ms)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from bench.load.words import WORDS_EN, WORDS_ZH
from opentto.matching.embeddings import DIM

_CONCEPTS = np.random.default_rng(20261207).standard_normal((len(WORDS_EN), DIM)).astype(np.float32)
_CONCEPTS /= np.linalg.norm(_CONCEPTS, axis=1, keepdims=True)
_EN = {w: i for i, w in enumerate(WORDS_EN)}
_TOKEN = re.compile(r"[a-z][a-z\-]*")
#: weight of the text's own noise against its concepts (neighbours, not duplicates)
NOISE = 0.35


def _vector(text: str) -> np.ndarray:
    counts = np.zeros(len(WORDS_EN), dtype=np.float32)
    for i, word in enumerate(WORDS_ZH):
        counts[i] += text.count(word)
    for token in _TOKEN.findall(text.lower()):
        i = _EN.get(token)
        if i is not None:
            counts[i] += 1
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    noise = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    noise /= np.linalg.norm(noise)
    v = np.sqrt(counts) @ _CONCEPTS  # a word said ten times is not ten times the topic
    norm = float(np.linalg.norm(v))
    v = (v / norm if norm else v) + NOISE * noise
    return v / max(float(np.linalg.norm(v)), 1e-9)


def embed(texts: Sequence[str], is_query: bool) -> np.ndarray:
    """An :data:`opentto.matching.embeddings.EmbedFn`: (n, DIM) unit float32 vectors."""
    out = np.empty((len(texts), DIM), dtype=np.float32)
    for i, t in enumerate(texts):
        out[i] = _vector(t)
    return out
