"""Approvals of paused runs. (Not implemented yet: every method raises NotImplementedError.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from repositories.core.dialect import Ctx
from repositories.core.operation import Operation


class ApprovalsMethods:
    _ctx: Ctx

    _run: Callable[[Operation[Any]], Any]  # SqlDb's executor

    def create_approval(self, approval_data: Dict[str, Any]) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("create_approval is not implemented yet")

    def get_approval(self, approval_id: str) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("get_approval is not implemented yet")

    def get_approvals(self, status: Optional[str] = None, source_type: Optional[str] = None, approval_type: Optional[str] = None, pause_type: Optional[str] = None, agent_id: Optional[str] = None, team_id: Optional[str] = None, workflow_id: Optional[str] = None, user_id: Optional[str] = None, schedule_id: Optional[str] = None, run_id: Optional[str] = None, limit: int = 100, page: int = 1) -> Tuple[List[Dict[str, Any]], int]:  # type: ignore[override]
        raise NotImplementedError("get_approvals is not implemented yet")

    def update_approval(self, approval_id: str, expected_status: Optional[str] = None, **kwargs: Any) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("update_approval is not implemented yet")

    def delete_approval(self, approval_id: str) -> bool:  # type: ignore[override]
        raise NotImplementedError("delete_approval is not implemented yet")

    def get_pending_approval_count(self, user_id: Optional[str] = None) -> int:  # type: ignore[override]
        raise NotImplementedError("get_pending_approval_count is not implemented yet")

    def update_approval_run_status(self, run_id: str, run_status: agno.run.base.RunStatus) -> int:  # type: ignore[override]
        raise NotImplementedError("update_approval_run_status is not implemented yet")
