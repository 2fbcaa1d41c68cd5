"""Argument checks of the vector store: a clear ValueError naming what was wrong, before any SQL."""

from __future__ import annotations

from typing import Any

import numpy as np

from agno_models.types import ID_LENGTH


def text_argument(name: str, value: Any, *, limit: int = ID_LENGTH) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    if "\x00" in value:
        raise ValueError(f"{name} contains the character U+0000 (NUL), which cannot be stored")
    if len(value) > limit:
        raise ValueError(f"{name} is {len(value)} characters long; at most {limit} are allowed")
    return value


def optional_text(name: str, value: Any) -> str | None:
    return None if value is None else text_argument(name, value)


def integer_in(name: str, value: Any, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return value


def vector(value: Any, dimensions: int, what: str) -> np.ndarray:
    """``value`` as a float32 vector of ``dimensions`` finite numbers, or a ValueError naming ``what``."""
    try:
        array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} is not a vector of numbers: {error}") from None
    if array.ndim != 1:
        raise ValueError(f"{what} must be a 1-D vector, got shape {array.shape}")
    if array.shape[0] != dimensions:
        raise ValueError(f"{what} has {array.shape[0]} dimensions; this knowledge base stores {dimensions}")
    finite = np.isfinite(array)
    if not finite.all():
        position = int(np.argmin(finite))
        raise ValueError(f"{what} has {array[position]} at position {position}; only finite numbers can be stored")
    return array
