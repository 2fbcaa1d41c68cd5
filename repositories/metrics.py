"""Daily usage metrics. (Not implemented yet: every method raises NotImplementedError.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from repositories.core.dialect import Ctx
from repositories.core.operation import Operation


class MetricsMethods:
    _ctx: Ctx

    _run: Callable[[Operation[Any]], Any]  # SqlDb's executor

    def calculate_metrics(self) -> Optional[Any]:  # type: ignore[override]
        raise NotImplementedError("calculate_metrics is not implemented yet")

    def get_metrics(self, starting_date: Optional[datetime.date] = None, ending_date: Optional[datetime.date] = None, user_id: Optional[str] = None) -> Tuple[List[Dict[str, Any]], Optional[int]]:  # type: ignore[override]
        raise NotImplementedError("get_metrics is not implemented yet")
