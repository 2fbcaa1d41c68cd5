"""A deterministic offline embedder: hashed bag of words, no model and no network.

Good for tests, demos and examples: the same text always gives the same vector, texts sharing
words are close, and nothing is downloaded. It is not a semantic model.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from agno.knowledge.embedder.base import Embedder


@dataclass
class HashingEmbedder(Embedder):
    """Each word (lower-cased ``\\w+``) adds +1 or -1 to one of ``dimensions`` buckets chosen by a
    hash of the word; the sum is L2-normalized. Text without words embeds as the zero vector."""

    dimensions: int | None = 384
    enable_batch: bool = False

    def _vector(self, text: str) -> np.ndarray:
        size = int(self.dimensions or 384)
        vector = np.zeros(size, dtype=np.float64)
        for word in re.findall(r"\w+", text.lower()):
            digest = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            vector[digest % size] += 1.0 if (digest >> 63) & 1 else -1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def get_embedding(self, text: str) -> list[float]:
        values: list[float] = self._vector(text).tolist()
        return values

    def get_embedding_and_usage(self, text: str) -> tuple[list[float], dict[str, Any] | None]:
        return self.get_embedding(text), None

    async def async_get_embedding(self, text: str) -> list[float]:
        return self.get_embedding(text)

    async def async_get_embedding_and_usage(self, text: str) -> tuple[list[float], dict[str, Any] | None]:
        return self.get_embedding_and_usage(text)
