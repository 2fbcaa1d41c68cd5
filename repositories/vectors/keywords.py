"""A keyword query's words, the same on every backend (each backend matches and ranks them).

A query becomes its words, lower-cased, minus English stopwords (PostgreSQL's 'english'
configuration drops them itself; FTS5 and InnoDB would otherwise rank on them). A chunk matches
when it holds any of the words; ranking is each engine's own: ts_rank_cd on PostgreSQL (after
the chunks that hold every word, since ts_rank_cd has no notion of a rare word), bm25 in SQLite's
FTS5 and InnoDB's relevance on MySQL (both weigh rare words up).
"""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    "a about above after again against all am an and any are as at be because been before being below between "
    "both but by can did do does doing down during each few for from further had has have having he her here "
    "hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now "
    "of off on once only or other our ours ourselves out over own same she should so some such than that the "
    "their theirs them themselves then there these they this those through to too under until up very was we "
    "were what when where which while who whom why will with you your yours yourself yourselves".split()
)
MAX_TERMS = 32


def keyword_terms(query: str) -> list[str]:
    terms: list[str] = []
    for word in re.findall(r"\w+", query.lower()):
        if word not in STOPWORDS and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def scaled(rank: float, scale: float) -> float:
    """agno's 0-1 score from an engine's rank: ``x / (x + scale)``, monotone in the rank."""
    rank = max(float(rank), 0.0)
    return rank / (rank + scale)
