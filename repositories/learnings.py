"""Learnings. (Not implemented yet: every method raises NotImplementedError.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from repositories.core.dialect import Ctx
from repositories.core.operation import Operation


class LearningsMethods:
    _ctx: Ctx

    _run: Callable[[Operation[Any]], Any]  # SqlDb's executor

    def get_learning(self, learning_type: str, user_id: Optional[str] = None, agent_id: Optional[str] = None, team_id: Optional[str] = None, session_id: Optional[str] = None, namespace: Optional[str] = None, entity_id: Optional[str] = None, entity_type: Optional[str] = None) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("get_learning is not implemented yet")

    def upsert_learning(self, id: str, learning_type: str, content: Dict[str, Any], user_id: Optional[str] = None, agent_id: Optional[str] = None, team_id: Optional[str] = None, session_id: Optional[str] = None, namespace: Optional[str] = None, entity_id: Optional[str] = None, entity_type: Optional[str] = None, metadata: Optional[Dict[str, Any]] = None) -> None:  # type: ignore[override]
        raise NotImplementedError("upsert_learning is not implemented yet")

    def delete_learning(self, id: str) -> bool:  # type: ignore[override]
        raise NotImplementedError("delete_learning is not implemented yet")

    def get_learnings(self, learning_type: Optional[str] = None, user_id: Optional[str] = None, agent_id: Optional[str] = None, team_id: Optional[str] = None, session_id: Optional[str] = None, namespace: Optional[str] = None, entity_id: Optional[str] = None, entity_type: Optional[str] = None, limit: Optional[int] = None) -> List[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("get_learnings is not implemented yet")

    def update_learning(self, id: str, content: Dict[str, Any], metadata: Optional[Dict[str, Any]] = None) -> bool:  # type: ignore[override]
        raise NotImplementedError("update_learning is not implemented yet")

    def delete_user_learnings(self, user_id: str, learning_type: Optional[str] = None) -> int:  # type: ignore[override]
        raise NotImplementedError("delete_user_learnings is not implemented yet")

    def search_learnings(self, query: str, learning_type: Optional[str] = None, user_id: Optional[str] = None, agent_id: Optional[str] = None, team_id: Optional[str] = None, workflow_id: Optional[str] = None, session_id: Optional[str] = None, namespace: Optional[str] = None, entity_id: Optional[str] = None, entity_type: Optional[str] = None, limit: Optional[int] = None) -> List[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("search_learnings is not implemented yet")

    def get_learning_by_id(self, id: str) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("get_learning_by_id is not implemented yet")

    def list_learnings(self, learning_type: Optional[str] = None, user_id: Optional[str] = None, agent_id: Optional[str] = None, team_id: Optional[str] = None, session_id: Optional[str] = None, namespace: Optional[str] = None, entity_id: Optional[str] = None, entity_type: Optional[str] = None, include_global: bool = False, limit: int = 100, page: int = 1, sort_by: Optional[str] = None, sort_order: Optional[str] = None) -> Tuple[List[Dict[str, Any]], int]:  # type: ignore[override]
        raise NotImplementedError("list_learnings is not implemented yet")

    def get_learnings_user_stats(self, learning_type: Optional[str] = None, limit: Optional[int] = None, page: Optional[int] = None, user_id: Optional[str] = None, sort_by: Optional[str] = None, sort_order: Optional[str] = None) -> Tuple[List[Dict[str, Any]], int]:  # type: ignore[override]
        raise NotImplementedError("get_learnings_user_stats is not implemented yet")
