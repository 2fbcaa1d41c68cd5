"""Schedules and schedule runs. (Not implemented yet: every method raises NotImplementedError.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from repositories.core.dialect import Ctx
from repositories.core.operation import Operation


class SchedulesMethods:
    _ctx: Ctx

    _run: Callable[[Operation[Any]], Any]  # SqlDb's executor

    def get_schedule(self, schedule_id: str, user_id: Optional[str] = None) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("get_schedule is not implemented yet")

    def get_schedule_by_name(self, name: str, user_id: Optional[str] = None) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("get_schedule_by_name is not implemented yet")

    def get_schedules(self, enabled: Optional[bool] = None, limit: int = 100, page: int = 1, user_id: Optional[str] = None, raise_on_error: bool = False) -> Tuple[List[Dict[str, Any]], int]:  # type: ignore[override]
        raise NotImplementedError("get_schedules is not implemented yet")

    def create_schedule(self, schedule_data: Dict[str, Any]) -> Dict[str, Any]:  # type: ignore[override]
        raise NotImplementedError("create_schedule is not implemented yet")

    def update_schedule(self, schedule_id: str, user_id: Optional[str] = None, **kwargs: Any) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("update_schedule is not implemented yet")

    def delete_schedule(self, schedule_id: str, user_id: Optional[str] = None) -> bool:  # type: ignore[override]
        raise NotImplementedError("delete_schedule is not implemented yet")

    def disable_schedules_for_target(self, target_type: str, target_id: str, reason: Optional[str] = None) -> int:  # type: ignore[override]
        raise NotImplementedError("disable_schedules_for_target is not implemented yet")

    def stamp_schedule_provenance(self, schedule_id: str, **provenance: Any) -> bool:  # type: ignore[override]
        raise NotImplementedError("stamp_schedule_provenance is not implemented yet")

    def claim_due_schedule(self, worker_id: str, lock_grace_seconds: int = 300) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("claim_due_schedule is not implemented yet")

    def release_schedule(self, schedule_id: str, next_run_at: Optional[int] = None, *, worker_id: Optional[str] = None, locked_at: Optional[int] = None) -> bool:  # type: ignore[override]
        raise NotImplementedError("release_schedule is not implemented yet")

    def delete_schedule_runs(self, schedule_id: str, *, before: int) -> int:  # type: ignore[override]
        raise NotImplementedError("delete_schedule_runs is not implemented yet")

    def create_schedule_run(self, run_data: Dict[str, Any]) -> Dict[str, Any]:  # type: ignore[override]
        raise NotImplementedError("create_schedule_run is not implemented yet")

    def update_schedule_run(self, schedule_run_id: str, **kwargs: Any) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("update_schedule_run is not implemented yet")

    def get_schedule_run(self, run_id: str, user_id: Optional[str] = None) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("get_schedule_run is not implemented yet")

    def get_latest_schedule_runs(self, schedule_ids: List[str]) -> Dict[str, Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("get_latest_schedule_runs is not implemented yet")

    def get_schedule_runs(self, schedule_id: str, limit: int = 20, page: int = 1, user_id: Optional[str] = None) -> Tuple[List[Dict[str, Any]], int]:  # type: ignore[override]
        raise NotImplementedError("get_schedule_runs is not implemented yet")
