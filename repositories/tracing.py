"""Traces and spans. (Not implemented yet: every method raises NotImplementedError.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from repositories.core.dialect import Ctx
from repositories.core.operation import Operation


class TracingMethods:
    _ctx: Ctx

    _run: Callable[[Operation[Any]], Any]  # SqlDb's executor

    def upsert_trace(self, trace: 'Trace') -> None:  # type: ignore[override]
        raise NotImplementedError("upsert_trace is not implemented yet")

    def get_trace(self, trace_id: Optional[str] = None, run_id: Optional[str] = None):  # type: ignore[override]
        raise NotImplementedError("get_trace is not implemented yet")

    def get_traces(self, run_id: Optional[str] = None, session_id: Optional[str] = None, user_id: Optional[str] = None, agent_id: Optional[str] = None, team_id: Optional[str] = None, workflow_id: Optional[str] = None, status: Optional[str] = None, start_time: Optional[datetime.datetime] = None, end_time: Optional[datetime.datetime] = None, limit: Optional[int] = 20, page: Optional[int] = 1, filter_expr: Optional[Dict[str, Any]] = None) -> tuple[typing.List, int]:  # type: ignore[override]
        raise NotImplementedError("get_traces is not implemented yet")

    def get_trace_stats(self, user_id: Optional[str] = None, agent_id: Optional[str] = None, team_id: Optional[str] = None, workflow_id: Optional[str] = None, start_time: Optional[datetime.datetime] = None, end_time: Optional[datetime.datetime] = None, limit: Optional[int] = 20, page: Optional[int] = 1, filter_expr: Optional[Dict[str, Any]] = None, group_by: Literal['session', 'agent', 'team', 'workflow', 'endpoint'] = 'session') -> tuple[typing.List[typing.Dict[str, typing.Any]], int]:  # type: ignore[override]
        raise NotImplementedError("get_trace_stats is not implemented yet")

    def create_span(self, span: 'Span') -> None:  # type: ignore[override]
        raise NotImplementedError("create_span is not implemented yet")

    def create_spans(self, spans: List) -> None:  # type: ignore[override]
        raise NotImplementedError("create_spans is not implemented yet")

    def get_span(self, span_id: str):  # type: ignore[override]
        raise NotImplementedError("get_span is not implemented yet")

    def get_spans(self, trace_id: Optional[str] = None, parent_span_id: Optional[str] = None, limit: Optional[int] = 1000) -> List:  # type: ignore[override]
        raise NotImplementedError("get_spans is not implemented yet")

    def get_span_stats(self, agent_id: Optional[str] = None, team_id: Optional[str] = None, workflow_id: Optional[str] = None, start_time: Optional[datetime.datetime] = None, end_time: Optional[datetime.datetime] = None, name: Optional[str] = None, span_type: Optional[str] = None, limit: Optional[int] = 20, page: Optional[int] = 1, sort_by: str = 'total_calls', sort_order: str = 'desc') -> Tuple[List[Dict[str, Any]], int]:  # type: ignore[override]
        raise NotImplementedError("get_span_stats is not implemented yet")
