"""Placeholder until the policies branch lands: the matrix data loader."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def load_matrix(path: str | None = None) -> Mapping[str, Any]:
    return {}
