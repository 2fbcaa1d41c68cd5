"""Evaluation runs. (Not implemented yet: every method raises NotImplementedError.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from repositories.core.dialect import Ctx
from repositories.core.operation import Operation


class EvalsMethods:
    _ctx: Ctx

    _run: Callable[[Operation[Any]], Any]  # SqlDb's executor

    def create_eval_run(self, eval_run: agno.db.schemas.evals.EvalRunRecord) -> Optional[agno.db.schemas.evals.EvalRunRecord]:  # type: ignore[override]
        raise NotImplementedError("create_eval_run is not implemented yet")

    def delete_eval_runs(self, eval_run_ids: List[str], user_id: Optional[str] = None) -> None:  # type: ignore[override]
        raise NotImplementedError("delete_eval_runs is not implemented yet")

    def get_eval_run(self, eval_run_id: str, deserialize: Optional[bool] = True, user_id: Optional[str] = None) -> Union[agno.db.schemas.evals.EvalRunRecord, Dict[str, Any], NoneType]:  # type: ignore[override]
        raise NotImplementedError("get_eval_run is not implemented yet")

    def get_eval_runs(self, limit: Optional[int] = None, page: Optional[int] = None, sort_by: Optional[str] = None, sort_order: Optional[str] = None, agent_id: Optional[str] = None, team_id: Optional[str] = None, workflow_id: Optional[str] = None, model_id: Optional[str] = None, filter_type: Optional[agno.db.schemas.evals.EvalFilterType] = None, eval_type: Optional[List[agno.db.schemas.evals.EvalType]] = None, deserialize: Optional[bool] = True, user_id: Optional[str] = None) -> Union[List[agno.db.schemas.evals.EvalRunRecord], Tuple[List[Dict[str, Any]], int]]:  # type: ignore[override]
        raise NotImplementedError("get_eval_runs is not implemented yet")

    def rename_eval_run(self, eval_run_id: str, name: str, deserialize: Optional[bool] = True, user_id: Optional[str] = None) -> Union[agno.db.schemas.evals.EvalRunRecord, Dict[str, Any], NoneType]:  # type: ignore[override]
        raise NotImplementedError("rename_eval_run is not implemented yet")

    def update_eval_run_user_id(self, eval_run_id: str, user_id: str) -> None:  # type: ignore[override]
        raise NotImplementedError("update_eval_run_user_id is not implemented yet")
