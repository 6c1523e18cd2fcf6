"""Similar past exchanges: TF-IDF over character n-grams, cosine similarity.

Why character n-grams and not words: comments are short, misspelt ("sooo cuteee"),
full of emoji, and half of this channel's are Japanese, which has no spaces to cut
words at. Character 1-3-grams inside word boundaries need no tokenizer, match a
misspelling to its word, and count an emoji as a feature like any character. Why not
scikit-learn: it is not a dependency, and the whole method is a dozen lines of numpy
and scipy here.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse

NGRAMS = (1, 2, 3)
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Case-folded NFKC text (full-width ａ = a), one space between words, and a run of
    one repeated letter cut to two ("sooooo" = "soo"): comments stretch words."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"(.)\1{2,}", r"\1\1", text)
    return _SPACES.sub(" ", text).strip()


def char_ngrams(text: str, sizes: Sequence[int] = NGRAMS) -> Counter[str]:
    """Counts of the character n-grams of each word padded with spaces (a gram never
    spans two words, and a word's start and end are features)."""
    grams: Counter[str] = Counter()
    for word in normalise(text).split(" "):
        if not word:
            continue
        padded = f" {word} "
        for n in sizes:
            for i in range(max(len(padded) - n + 1, 0)):
                gram = padded[i: i + n]
                if gram.strip():
                    grams[gram] += 1
    return grams


class TfidfIndex:
    """Documents as L2-normalised TF-IDF vectors; queries ranked by cosine.

    TF is sublinear (1 + ln count) so a repeated emoji does not drown the words; IDF is
    smoothed (``ln((1 + N) / (1 + df)) + 1``) as in scikit-learn, so a gram every
    document has still counts a little.
    """

    def __init__(self, documents: Sequence[str]) -> None:
        counted = [char_ngrams(d) for d in documents]
        vocabulary: dict[str, int] = {}
        df: Counter[str] = Counter()
        for grams in counted:
            df.update(grams.keys())
            for gram in grams:
                vocabulary.setdefault(gram, len(vocabulary))
        self.vocabulary = vocabulary
        n = len(documents)
        self.idf = np.ones(len(vocabulary), dtype=np.float64)
        for gram, index in vocabulary.items():
            self.idf[index] = math.log((1 + n) / (1 + df[gram])) + 1
        self.matrix = self._vectors(counted)

    def _vectors(self, counted: Sequence[Counter[str]]) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        for row, grams in enumerate(counted):
            for gram, count in grams.items():
                col = self.vocabulary.get(gram)
                if col is not None:
                    rows.append(row)
                    cols.append(col)
                    vals.append((1 + math.log(count)) * self.idf[col])
        matrix = sparse.csr_matrix((vals, (rows, cols)),
                                   shape=(len(counted), len(self.vocabulary)))
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(matrix.multiply(1.0 / norms[:, None]))

    def vector(self, text: str) -> sparse.csr_matrix:
        """One text as a row vector in this index's space (unseen grams dropped)."""
        return self._vectors([char_ngrams(text)])

    def similarities(self, text: str) -> np.ndarray:
        """Cosine of ``text`` with every document."""
        if self.matrix.shape[0] == 0:
            return np.zeros(0)
        return np.asarray((self.matrix @ self.vector(text).T).todense()).ravel()

    def nearest(self, text: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` most similar documents as (index, cosine), best first; ties go to
        the earlier document so results never depend on sort stability."""
        sims = self.similarities(text)
        order = sorted(range(len(sims)), key=lambda i: (-sims[i], i))[:k]
        return [(i, float(sims[i])) for i in order]

    def cosine(self, a: str, b: str) -> float:
        """Cosine of two texts in this index's space (the benchmark's style term)."""
        va, vb = self.vector(a), self.vector(b)
        return float((va @ vb.T).toarray()[0, 0]) if va.nnz and vb.nnz else 0.0
