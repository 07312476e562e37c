"""The Django side of the matching index: which text of a result or demand is indexed, keeping the
on-disk indexes in step with the database, and choosing the search mode.

Under ``settings.OPENTTO_INDEX_DIR`` live five indexes of :class:`opentto.matching.MatchEngine`:

==================  ===================================================  =========
directory           documents                                            dense
==================  ===================================================  =========
``results-lex``     results' public text (titles, abstract, advantages,  no
                    applications, keywords, IP numbers)
``results-dense``   the same documents                                   yes
``details``         results' confidential details only                   no
``demands-lex``     demands (title and problem)                          no
``demands-dense``   the same documents                                   yes
==================  ===================================================  =========

* The lexical indexes are cheap (≈ 7 ms a result) and are kept in step with the database: each
  save queues its own re-indexing on commit, and searches compare (at most every
  ``OPENTTO_INDEX_SYNC_SECONDS``, 30 s by default, per process) a signature of the table (count, last ``updated_at``, sum of ids) is compared and, when it
  differs, changed rows are re-indexed and deleted ones removed (``sync``). So an index that is
  missing, corrupt or of an older format rebuilds itself, and a result saved a moment ago is found.
* The dense indexes need the embedding model (≈ 0.2–0.8 s a result on 2 cores); they are filled
  only by background tasks (``opentto.search.tasks``: on commit of a save, by
  ``opentto reindex`` and by the periodic ``demands.index_backfill``). A search is *hybrid* when
  the dense index holds the current text of every document the user may see, *lexical* otherwise
  (the page says so, with the progress).
* Confidential details are never put in the text of the ``results-*`` indexes (whose passages are
  shown as explanations); they have their own index, searched only with ``allowed_ids`` taken
  from ``Result.objects.restrict(user, "view_details")``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Model, QuerySet, Sum

from opentto.matching import Document, Hit, MatchEngine
from opentto.matching.passages import split_passages

from .enqueue import task

log = logging.getLogger(__name__)


def dense_enabled() -> bool:
    return bool(getattr(settings, "OPENTTO_MATCHING_DENSE", True))


def _embed_fn() -> Any:
    """The embedding function named by ``OPENTTO_MATCHING_EMBED_FN`` (a dotted path; the load
    benchmark's synthetic vectors, ``bench/load/vectors.py``), else ``None``: the model."""
    path = getattr(settings, "OPENTTO_MATCHING_EMBED_FN", "")
    if not path:
        return None
    from django.utils.module_loading import import_string

    return import_string(path)


# -- documents ---------------------------------------------------------------------------------
def _join(*parts: str) -> str:
    return "\n".join(p.strip() for p in parts if p and p.strip())


def result_document(result: Any) -> Document:
    """A result's public text: never its confidential details."""
    numbers = [a.application_number for a in result.ip_assets.all()]
    return Document(
        str(result.pk),
        title=_join(result.title_zh, result.title_en),
        text=_join(
            result.abstract_zh,
            result.abstract_en,
            result.advantages_zh,
            result.advantages_en,
            result.applications_zh,
            result.applications_en,
            " ".join(numbers),
        ),
        keywords=tuple(k for k in [*result.keywords_zh, *result.keywords_en] if k),
    )


def result_details_document(result: Any) -> Document:
    return Document(str(result.pk), title="", text=_join(result.details_zh, result.details_en))


def demand_document(demand: Any) -> Document:
    return Document(
        str(demand.pk),
        title=_join(demand.title_zh, demand.title_en),
        text=_join(demand.problem_zh, demand.problem_en),
    )


#: ``kind -> () -> queryset``: the rows each index holds, registered by the app that owns them
#: (``"results"`` by ``ResultsConfig.ready``; ``"demands"`` and ``"live-demands"`` by
#: ``DemandsConfig.ready``), so this app sits below them and imports none of their models.
_SOURCES: dict[str, Callable[[], QuerySet[Any]]] = {}


def register_source(kind: str, queryset: Callable[[], QuerySet[Any]]) -> None:
    """Tell the index which rows of ``kind`` it holds (from the owning app's ``AppConfig.ready``)."""
    _SOURCES[kind] = queryset


def source(kind: str) -> QuerySet[Any]:
    """The rows of ``kind`` (a fresh queryset from the registered source)."""
    try:
        return _SOURCES[kind]()
    except KeyError:
        raise LookupError(f"no search source registered for {kind!r}") from None


def _results_qs() -> QuerySet[Any]:
    return source("results")


def _demands_qs() -> QuerySet[Any]:
    return source("demands")


@dataclass(frozen=True)
class TierSpec:
    name: str
    queryset: Callable[[], QuerySet[Any]]
    document: Callable[[Any], Document]
    dense: bool


SPECS = {
    "results-lex": TierSpec("results-lex", _results_qs, result_document, False),
    "results-dense": TierSpec("results-dense", _results_qs, result_document, True),
    "details": TierSpec("details", _results_qs, result_details_document, False),
    "demands-lex": TierSpec("demands-lex", _demands_qs, demand_document, False),
    "demands-dense": TierSpec("demands-dense", _demands_qs, demand_document, True),
}
BATCH = 200
#: A search re-indexes at most this many changed rows itself; more go to the background and the
#: search answers from the database meanwhile (``IndexBuilding``).
INLINE_SYNC_LIMIT = 2000
#: a sync that changed this many documents writes the engine's snapshot at once
SNAPSHOT_AFTER = 2000


class IndexBuilding(RuntimeError):
    """The index is being (re)built in the background; search the database meanwhile."""


class Tier:
    """One on-disk index kept in step with one table, with the version stamp of every row."""

    def __init__(self, spec: TierSpec, root: Path) -> None:
        self.spec = spec
        self.dir = root / spec.name
        self.lock = threading.RLock()
        self._engine: MatchEngine | None = None
        self._stamps: dict[str, str] | None = None
        self._signature: tuple[Any, ...] | None = None
        self._checked_at = 0.0  # time.monotonic() of the last signature check
        self._full_syncs = 0  # whole-table syncs done (a thread that waited for one skips its own)
        self._generation = 0.0
        self._coverage: tuple[tuple[int, ...], tuple[int, int]] | None = None

    @property
    def engine(self) -> MatchEngine:
        with self.lock:
            if self._engine is None:
                cache = Path(
                    getattr(settings, "OPENTTO_EMBEDDING_CACHE_DIR", "")
                    or self.dir.parent / "embeddings"
                )
                self._engine = MatchEngine(
                    self.dir, cache_dir=cache, dense=self.spec.dense, embed_fn=_embed_fn()
                )
                if self._engine.status.startswith("rebuilt") or self._engine.status == "created":
                    self._write_stamps({})  # stamps no longer describe what is indexed
                self._generation = self._marker_time()
            return self._engine

    # stamps: row id -> "updated_at" of the indexed version
    @property
    def stamps(self) -> dict[str, str]:
        if self._stamps is None:
            try:
                self._stamps = dict(json.loads((self.dir / "stamps.json").read_text()))
            except (OSError, ValueError):
                self._stamps = {}
        return self._stamps

    def _write_stamps(self, stamps: dict[str, str]) -> None:
        self._stamps = stamps
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f"stamps.json.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(stamps))
        tmp.replace(self.dir / "stamps.json")

    def _marker_time(self) -> float:
        try:
            return (self.dir / "generation").stat().st_mtime
        except OSError:
            return 0.0

    def _touch(self) -> None:
        (self.dir / "generation").write_text(str(time.time()))
        self._generation = self._marker_time()

    def refresh(self) -> None:
        """Reload from disk when another process (a worker) has written to this index."""
        with self.lock:
            engine = self.engine
            marker = self._marker_time()
            if marker > self._generation:
                engine.reload()
                self._stamps = None
                self._signature = None
                self._generation = marker

    @staticmethod
    def _table_signature(qs: QuerySet[Any]) -> tuple[Any, ...]:
        agg = qs.order_by().aggregate(n=Count("pk"), last=Max("updated_at"), ids=Sum("pk"))
        return (agg["n"], agg["last"].isoformat() if agg["last"] else "", agg["ids"] or 0)

    def sync(
        self,
        *,
        only: Iterable[int] | None = None,
        progress: Callable[[int, int], None] | None = None,
        inline_limit: int | None = None,
        embed_missing: bool = True,
        batch: int = 0,
    ) -> int:
        """Re-index rows whose ``updated_at`` changed and remove deleted ones; returns the count changed.

        ``only`` limits the work to some ids (the task run on commit of one save).
        ``embed_missing=False`` (a dense tier whose embedding is fanned out to workers): rows
        whose passages' vectors are not cached yet are left for a later sync. ``batch``: rows
        per step (default ``BATCH``; ``progress`` is told after each step)."""
        base = self.spec.queryset()
        if only is None:
            # Saves reach the index through their own on-commit task; the signature is the
            # safety net for writes that bypass the services (bulk loads, SQL, a restore).
            # At 100,000 rows it costs ≈ 80 ms of database time (300 ms on a busy server), so
            # it is checked at most every OPENTTO_INDEX_SYNC_SECONDS per process, and outside
            # the lock: the other threads go on searching meanwhile.
            interval = float(getattr(settings, "OPENTTO_INDEX_SYNC_SECONDS", 30.0))
            now = time.monotonic()
            if self._signature is not None and now - self._checked_at < interval:
                return 0
            self._checked_at = now  # the other threads skip the check while this one runs it
            if self._signature is not None and self._table_signature(base) == self._signature:
                return 0
        full_syncs = self._full_syncs
        with self.lock:
            if only is None and self._full_syncs != full_syncs:  # another thread did it meanwhile
                return 0
            # (no reload from disk here: another process's changes are picked up row by row
            # through the table signature, which is cheaper than re-reading the whole index)
            engine = self.engine
            current = {
                str(pk): stamp.isoformat()
                for pk, stamp in (
                    base.filter(pk__in=list(only)) if only is not None else base
                ).values_list("pk", "updated_at")
            }
            stamps = dict(self.stamps)
            changed = [pk for pk, stamp in current.items() if stamps.get(pk) != stamp]
            if inline_limit is not None and len(changed) > inline_limit:
                _background_sync(self)
                raise IndexBuilding(self.spec.name)
            gone: list[str] = []
            if only is None:
                gone = [pk for pk in stamps if pk not in current] + [
                    pk for pk in engine.ids() if pk not in current
                ]
            else:
                gone = [str(pk) for pk in only if str(pk) not in current]
            done = skipped = 0
            step = batch or BATCH
            for start in range(0, len(changed), step):
                chunk = changed[start : start + step]
                rows = list(base.filter(pk__in=[int(pk) for pk in chunk]))
                docs = [self.spec.document(r) for r in rows]
                if self.spec.dense and not embed_missing:
                    ready = {
                        d.id
                        for d in docs
                        if not d.body.strip()
                        or not engine.embedder.missing(split_passages(d.body), "passage")
                    }
                    skipped += len(docs) - len(ready)
                    rows = [r for r in rows if str(r.pk) in ready]
                    docs = [d for d in docs if d.id in ready]
                engine.upsert(d for d in docs if d.body.strip())
                engine.remove(d.id for d in docs if not d.body.strip())
                for r in rows:
                    stamps[str(r.pk)] = r.updated_at.isoformat()
                done += len(chunk)
                if self.spec.dense:  # resumable: what is embedded is recorded as it goes
                    self._write_stamps(stamps)
                if progress is not None:
                    progress(done, len(changed))
            if gone:
                engine.remove(set(gone))
                for pk in gone:
                    stamps.pop(pk, None)
            if len(changed) + len(gone) >= SNAPSHOT_AFTER:
                engine.save()  # the other processes map it instead of replaying the changes
            if changed or gone or only is None:
                self._write_stamps(stamps)
            if changed or gone:
                self._touch()
            if only is None:
                # rows left for later must be looked at again by the next sync
                self._signature = self._table_signature(base) if not skipped else None
                self._checked_at = time.monotonic()
                self._full_syncs += 1
            return len(changed) - skipped + len(set(gone))

    def pending(self) -> list[int]:
        """Ids of rows whose current text this index does not hold (new or changed since)."""
        with self.lock:
            stamps = self.stamps
            return [
                pk
                for pk, stamp in self.spec.queryset().order_by("pk").values_list("pk", "updated_at")
                if stamps.get(str(pk)) != stamp.isoformat()
            ]

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Empty the index and index every row again (embeddings come from the cache when unchanged)."""
        with self.lock:
            engine = self.engine
            engine.remove(engine.ids())
            self._write_stamps({})
            self._signature = None
            return self.sync(progress=progress)

    def covers(self, ids: Iterable[str], reference: Tier) -> bool:
        """True when this index holds the same text as ``reference`` for every id in ``ids``."""
        embedded, total = self.coverage(reference)
        if embedded == total:
            return True
        mine, theirs = self.engine.hashes, reference.engine.hashes
        return all(mine.get(i) == theirs.get(i) for i in ids if i in theirs)

    def coverage(self, reference: Tier) -> tuple[int, int]:
        """(documents of ``reference`` held here with the same text, documents of ``reference``);
        computed once per version of the two indexes (a pass over every id)."""
        key = (id(self.engine), self.engine.version, id(reference.engine), reference.engine.version)
        if self._coverage is None or self._coverage[0] != key:
            mine, theirs = self.engine.hashes, reference.engine.hashes
            found = sum(1 for i, h in theirs.items() if mine.get(i) == h)
            self._coverage = (key, (found, len(theirs)))
        return self._coverage[1]


_BUILDING: set[str] = set()


def _background_sync(t: Tier) -> None:
    """Bring a tier up to date outside the request (a thread here; a worker with a broker)."""
    if not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True):
        task("demands.index_sync").delay(t.spec.name)
        return
    with _TIERS_LOCK:
        if t.spec.name in _BUILDING:
            return
        _BUILDING.add(t.spec.name)

    def run() -> None:
        from django.db import connection

        try:
            t.sync()
        except Exception:
            log.exception("background indexing of %s failed", t.spec.name)
        finally:
            _BUILDING.discard(t.spec.name)
            connection.close()

    threading.Thread(target=run, name=f"index-{t.spec.name}", daemon=True).start()


_TIERS: dict[tuple[str, str], Tier] = {}
_TIERS_LOCK = threading.Lock()


def tier(name: str) -> Tier:
    root = Path(settings.OPENTTO_INDEX_DIR)
    key = (str(root), name)
    with _TIERS_LOCK:
        found = _TIERS.get(key)
        if found is None:
            found = _TIERS[key] = Tier(SPECS[name], root)
        return found


def reset_tiers() -> None:
    """Forget the open indexes (tests; after moving the index directory)."""
    with _TIERS_LOCK:
        for t in _TIERS.values():
            if t._engine is not None:
                t._engine.close()
        _TIERS.clear()


# -- searching ----------------------------------------------------------------------------------
@dataclass
class Outcome:
    hits: list[Hit]
    mode: str  # "hybrid" or "lexical"
    embedded: int = 0  # dense coverage, for the progress note
    total: int = 0


def _search(
    kind: str,
    text: str,
    *,
    allowed_ids: AbstractSet[str],
    top: int,
    explain: bool,
    mode: str = "auto",
) -> Outcome:
    lex = tier(f"{kind}-lex")
    lex.sync(inline_limit=INLINE_SYNC_LIMIT)
    if not allowed_ids or not text.strip():
        return Outcome([], "lexical")
    embedded, total = 0, len(lex.engine)
    if mode != "lexical" and dense_enabled():
        dense = tier(f"{kind}-dense")
        dense.refresh()
        embedded, total = dense.coverage(lex)
        if embedded and dense.covers(allowed_ids, lex):
            hits = dense.engine.search(
                text, top=top, mode="hybrid", allowed_ids=allowed_ids, explain=explain
            )
            return Outcome(hits, "hybrid", embedded, total)
    hits = lex.engine.search(
        text, top=top, mode="lexical", allowed_ids=allowed_ids, explain=explain
    )
    return Outcome(hits, "lexical", embedded, total)


def search_results(
    text: str,
    *,
    allowed_ids: AbstractSet[str],
    top: int = 20,
    explain: bool = False,
    mode: str = "auto",
) -> Outcome:
    return _search("results", text, allowed_ids=allowed_ids, top=top, explain=explain, mode=mode)


def search_demands(
    text: str,
    *,
    allowed_ids: AbstractSet[str],
    top: int = 10,
    explain: bool = False,
    mode: str = "auto",
) -> Outcome:
    return _search("demands", text, allowed_ids=allowed_ids, top=top, explain=explain, mode=mode)


def search_details(text: str, *, allowed_ids: AbstractSet[str], top: int = 500) -> list[Hit]:
    details = tier("details")
    details.sync(inline_limit=INLINE_SYNC_LIMIT)
    if not allowed_ids or not text.strip():
        return []
    return details.engine.search(text, top=top, mode="lexical", allowed_ids=allowed_ids)


# -- fit profiles: "who needs this" without searching at page time ---------------------------------
#: A demand *fits* a result when, besides the demand being among the best for the result's text,
#: the result is among the ``FIT_TOP`` best of all results for the demand's text.
FIT_TOP = 10


@dataclass(frozen=True)
class FitProfile:
    """What a result page needs to tell whether the result is among a demand's best results: the
    demand's weighted query terms and the ``FIT_TOP`` best lexical scores over all results when it
    was computed (fewer when fewer results share a term with the demand)."""

    terms: dict[str, float]
    top_scores: tuple[float, ...]
    seq: int  # the results index's change sequence when computed
    live: int  # results indexed then

    def rank_of(self, score: float) -> int | None:
        """The rank a result with this score takes among the demand's best (``None``: not among
        them). A score equal to the last best one counts (float32 search vs float64 here)."""
        if score <= 0:
            return None
        tolerance = 1e-4 * max(score, 1.0)
        better = sum(1 for s in self.top_scores if s > score + tolerance)
        if len(self.top_scores) == FIT_TOP and score < self.top_scores[-1] - tolerance:
            return None
        return better + 1


def _fit_key(demand: Any) -> str:
    return f"opentto:demand-fit:v1:{demand.pk}:{demand.updated_at.isoformat()}"


def _fit_stale(profile: FitProfile, engine: MatchEngine) -> bool:
    """Too old once the results index took more than 1 % of its size in changes (saves; a bulk
    sync counts one per batch) or grew or shrank by more than 1 % since it was computed (any
    change on an index under 100 results). A stored profile only ever makes a new result's fit a
    little lenient: its score is compared with the best scores of the results before it."""
    allowance = profile.live // 100
    return (
        engine.change_seq - profile.seq > allowance or abs(len(engine) - profile.live) > allowance
    )


def _fit_profile(engine: MatchEngine, demand: Any) -> FitProfile:
    text = demand.match_text()
    hits = engine.search(text, top=FIT_TOP, mode="lexical")
    return FitProfile(
        engine.query_terms(text), tuple(h.lexical for h in hits), engine.change_seq, len(engine)
    )


#: A result page computes at most this many missing or stale fit profiles itself; the others are
#: computed in the background (``demands.refresh_fits``) and count on the next view.
INLINE_FITS = 2


def fit_profiles(demands: Iterable[Any], *, compute: int | None = None) -> dict[int, FitProfile]:
    """Fit profiles of the demands, from Django's cache (shared by the processes with Redis) or
    computed now (one lexical search of the results each) when missing or stale. ``compute``
    caps how many are computed here (``None``: all); the others are left out and queued for the
    background (``0``: only look them up). They are computed ahead by a demand's indexing task, by the periodic
    ``demands.index_backfill`` and by ``opentto reindex``, so a result page rarely computes one."""
    from django.core.cache import cache

    lex = tier("results-lex")
    lex.sync(inline_limit=INLINE_SYNC_LIMIT)
    engine = lex.engine
    demands = list(demands)
    keys = {d.pk: _fit_key(d) for d in demands}
    found: dict[str, Any] = cache.get_many(list(keys.values())) if keys else {}
    out: dict[int, FitProfile] = {}
    fresh: dict[str, FitProfile] = {}
    later: list[int] = []
    for d in demands:
        profile = found.get(keys[d.pk])
        if not isinstance(profile, FitProfile) or _fit_stale(profile, engine):
            if compute is not None and len(fresh) >= compute:
                later.append(d.pk)
                continue
            profile = fresh[keys[d.pk]] = _fit_profile(engine, d)
        out[d.pk] = profile
    if fresh:
        cache.set_many(fresh, int(getattr(settings, "OPENTTO_DEMAND_FIT_SECONDS", 24 * 3600)))
    if later and compute:  # compute=0: only look up
        _background_fits(later)
    return out


def _background_fits(pks: list[int]) -> None:
    """Compute fit profiles outside the request (a worker with a broker; a thread otherwise)."""
    if not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True):
        task("demands.refresh_fits").delay(pks)
        return

    def run() -> None:
        from django.db import connection

        try:
            refresh_fits(pks)
        except Exception:
            log.exception("fit profiles of demands %s failed", pks)
        finally:
            connection.close()

    threading.Thread(target=run, name="demand-fits", daemon=True).start()


def result_fits(
    result_id: int, demands: Iterable[Any], *, left_out: list[int] | None = None
) -> list[tuple[Any, int]]:
    """The demands (in the given order) among whose ``FIT_TOP`` best results the result is, with
    its rank there: one lookup per demand, no search (but for at most ``INLINE_FITS`` demands
    whose profile is missing or stale; the others are left out until computed, and their ids
    added to ``left_out`` when given)."""
    demands = list(demands)
    profiles = fit_profiles(demands, compute=INLINE_FITS)
    engine = tier("results-lex").engine
    known = [
        d for d in demands if d.pk in profiles
    ]  # the others are being computed in the background
    if left_out is not None:
        left_out.extend(d.pk for d in demands if d.pk not in profiles)
    scores = engine.lexical_scores([profiles[d.pk].terms for d in known], str(result_id))
    out = []
    for d, score in zip(known, scores, strict=True):
        rank = profiles[d.pk].rank_of(score)
        if rank is not None:
            out.append((d, rank))
    return out


def refresh_fits(
    pks: Iterable[int] | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Compute the fit profiles of live demands (all, or ``pks``) that are missing or stale."""
    qs = source("live-demands").order_by("pk")
    if pks is not None:
        qs = qs.filter(pk__in=list(pks))
    demands = list(qs)
    done = 0
    for start in range(0, len(demands), BATCH):
        chunk = demands[start : start + BATCH]
        before = len(fit_profiles(chunk, compute=0))
        fit_profiles(chunk)
        done += len(chunk) - before
        if progress is not None:
            progress(start + len(chunk), len(demands))
    return done


def warm() -> None:
    """Open the lexical indexes and build the query-translation lexicon now (a web worker calls
    this as it starts, ``opentto/wsgi.py``), so that no request pays for them: the lexicon takes
    2–11 s of CPU and opening 100,000 results' index a second. Never raises."""
    try:
        from opentto.matching.translate import get_lexicon

        for name in ("results-lex", "details", "demands-lex"):
            t = tier(name)
            get_lexicon(t.engine.analyzer)
    except Exception:
        log.warning(
            "warming the matching indexes failed; the first searches will do it", exc_info=True
        )


def ids_of(model_qs: QuerySet[Any]) -> set[str]:
    return {str(pk) for pk in model_qs.values_list("pk", flat=True)}


def index_objects(model: type[Model], pks: Iterable[int], *, dense: bool | None = None) -> int:
    """Index some rows now (the on-commit task): lexical first, then dense when enabled."""
    pks = list(pks)
    kind = "results" if model.__name__ == "Result" else "demands"
    names = [f"{kind}-lex"] + (["details"] if kind == "results" else [])
    if dense if dense is not None else dense_enabled():
        names.append(f"{kind}-dense")
    changed = sum(tier(name).sync(only=pks) for name in names[:1])
    if kind == "demands":  # its fit profile, before a result page needs it
        refresh_fits(pks)
    changed += sum(tier(name).sync(only=pks) for name in names[1:])
    if (
        kind == "demands" and f"{kind}-dense" in names
    ):  # its query vector, before its matches page needs it
        embed_demand_queries(pks)
    return changed


def embed_demand_queries(
    pks: Iterable[int] | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Embed the live demands' texts (all, or ``pks``) as the matches page searches the results
    with them, into the embedding cache: the page then reads each demand's query vector instead of
    running the model (done when a demand is written, by ``opentto reindex`` and the backfill).
    Texts already embedded cost a cache lookup. Returns the demands looked at."""
    if not dense_enabled():
        return 0
    qs = source("live-demands").order_by("pk")
    if pks is not None:
        qs = qs.filter(pk__in=list(pks))
    engine = tier("results-dense").engine
    demands = list(qs)
    for i, demand in enumerate(demands, 1):
        engine.embed_query(demand.match_text())
        if progress is not None and (i % BATCH == 0 or i == len(demands)):
            progress(i, len(demands))
    return len(demands)


def rebuild_all(
    *, dense: bool | None = None, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, int]:
    """Rebuild every index from the database (``opentto reindex``)."""
    names = ["results-lex", "details", "demands-lex"]
    if dense if dense is not None else dense_enabled():
        names += ["results-dense", "demands-dense"]
    return {name: tier(name).rebuild(progress=_named(progress, name)) for name in names}


#: rows per ``demands.embed_rows`` task when embedding is fanned out to workers
EMBED_BATCH = 32
#: a row queued for embedding is not queued again for this long (its worker may be busy)
EMBED_QUEUED_SECONDS = 3600


def fan_out_enabled() -> bool:
    """Embedding goes to the workers (any machine) when there is a broker and a shared cache
    (``CACHE_URL``) through which their vectors reach the machine that holds the index."""
    return not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True) and bool(
        getattr(settings, "CACHE_URL", "")
    )


def backfill_dense(
    progress: Callable[[str, int, int], None] | None = None, *, fan_out: bool | None = None
) -> dict[str, int]:
    """Embed what the dense indexes lack (resumable: a restart goes on where it stopped).

    ``fan_out`` (default: :func:`fan_out_enabled`): the rows to embed are split into tasks of
    ``EMBED_BATCH`` rows (``demands.embed_rows``) that any worker, on any machine, takes; they
    put their vectors in the shared cache. This run queues them and indexes only the rows whose
    vectors are there already; the next (periodic) run indexes the rest."""
    if not dense_enabled():
        return {}
    if fan_out is None:
        fan_out = fan_out_enabled()
    out = {}
    for name in ("results-dense", "demands-dense"):
        t = tier(name)
        if fan_out:
            queue_embedding(name, t.pending())
        out[name] = t.sync(progress=_named(progress, name), embed_missing=not fan_out)
    return out


#: rows per step when the embedding is watched (``opentto load_demo``): progress every few seconds
WATCHED_BATCH = 8


def embed_now(
    progress: Callable[[str, int, int], None] | None = None, *, batch: int = WATCHED_BATCH
) -> dict[str, int]:
    """Embed, here and now, what the dense indexes lack (results, then demands), telling
    ``progress`` after every ``batch`` rows; resumable. ``{}`` when dense matching is off."""
    if not dense_enabled():
        return {}
    return {
        name: tier(name).sync(progress=_named(progress, name), batch=batch)
        for name in ("results-dense", "demands-dense")
    }


def queue_embedding(name: str, pks: Iterable[int]) -> int:
    """Queue ``demands.embed_rows`` tasks for the rows not queued in the last
    ``EMBED_QUEUED_SECONDS``; returns how many rows were queued."""
    from django.core.cache import cache

    pks = list(pks)
    marks = {pk: f"opentto:embed-queued:{name}:{pk}" for pk in pks}
    queued = cache.get_many(list(marks.values())) if pks else {}
    todo = [pk for pk in pks if marks[pk] not in queued]
    for start in range(0, len(todo), EMBED_BATCH):
        task("demands.embed_rows").delay(name, todo[start : start + EMBED_BATCH])
    if todo:
        cache.set_many({marks[pk]: 1 for pk in todo}, EMBED_QUEUED_SECONDS)
    return len(todo)


def embed_rows(name: str, pks: Iterable[int]) -> int:
    """Embed the passages of these rows into the embedding cache (and the shared one), without
    touching the index: the work of one fanned-out task. Returns the passages embedded."""
    spec = SPECS[name]
    docs = [spec.document(r) for r in spec.queryset().filter(pk__in=list(pks))]
    passages = [p for d in docs if d.body.strip() for p in split_passages(d.body)]
    embedder = _worker_embedder()
    todo = embedder.missing(passages, "passage")
    if todo:
        embedder.embed(todo, "passage")
    return len(todo)


_EMBEDDERS: dict[Path, Any] = {}


def _worker_embedder() -> Any:
    """This process's embedder over the same cache directory as the indexes (no index opened:
    a worker on another machine holds none)."""
    from opentto.matching.embeddings import MODEL_ID, Embedder

    directory = Path(
        getattr(settings, "OPENTTO_EMBEDDING_CACHE_DIR", "")
        or Path(settings.OPENTTO_INDEX_DIR) / "embeddings"
    )
    with _TIERS_LOCK:
        if directory not in _EMBEDDERS:
            fn = _embed_fn()
            _EMBEDDERS[directory] = Embedder(
                directory, embed_fn=fn, model_id=MODEL_ID if fn is None else MODEL_ID + "+custom"
            )
        return _EMBEDDERS[directory]


class SharedVectorsInCache:
    """The embedding cache's shared level in Django's cache (Redis in production): what a worker
    on another machine embeds reaches the machine that holds the index."""

    prefix = "opentto:vector:"

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        from django.core.cache import cache

        got = cache.get_many([self.prefix + k.hex() for k in keys])
        return {
            bytes.fromhex(k[len(self.prefix) :]): v for k, v in got.items() if isinstance(v, bytes)
        }

    def set_many(self, items: dict[bytes, bytes]) -> None:
        from django.core.cache import cache

        cache.set_many(
            {self.prefix + k.hex(): v for k, v in items.items()},
            int(getattr(settings, "OPENTTO_SHARED_VECTOR_SECONDS", 7 * 24 * 3600)),
        )


def _named(
    progress: Callable[[str, int, int], None] | None, name: str
) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    report = progress

    def named(done: int, total: int) -> None:
        report(name, done, total)

    return named
