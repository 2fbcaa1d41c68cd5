"""User memories. (Not implemented yet: every method raises NotImplementedError.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from repositories.core.dialect import Ctx
from repositories.core.operation import Operation


class MemoriesMethods:
    _ctx: Ctx

    _run: Callable[[Operation[Any]], Any]  # SqlDb's executor

    def clear_memories(self) -> None:  # type: ignore[override]
        raise NotImplementedError("clear_memories is not implemented yet")

    def delete_user_memory(self, memory_id: str, user_id: Optional[str] = None) -> None:  # type: ignore[override]
        raise NotImplementedError("delete_user_memory is not implemented yet")

    def delete_user_memories(self, memory_ids: List[str], user_id: Optional[str] = None) -> None:  # type: ignore[override]
        raise NotImplementedError("delete_user_memories is not implemented yet")

    def get_all_memory_topics(self, user_id: Optional[str] = None) -> List[str]:  # type: ignore[override]
        raise NotImplementedError("get_all_memory_topics is not implemented yet")

    def get_user_memory(self, memory_id: str, deserialize: Optional[bool] = True, user_id: Optional[str] = None) -> Union[agno.db.schemas.memory.UserMemory, Dict[str, Any], NoneType]:  # type: ignore[override]
        raise NotImplementedError("get_user_memory is not implemented yet")

    def get_user_memories(self, user_id: Optional[str] = None, agent_id: Optional[str] = None, team_id: Optional[str] = None, topics: Optional[List[str]] = None, search_content: Optional[str] = None, limit: Optional[int] = None, page: Optional[int] = None, sort_by: Optional[str] = None, sort_order: Optional[str] = None, deserialize: Optional[bool] = True) -> Union[List[agno.db.schemas.memory.UserMemory], Tuple[List[Dict[str, Any]], int]]:  # type: ignore[override]
        raise NotImplementedError("get_user_memories is not implemented yet")

    def get_user_memory_stats(self, limit: Optional[int] = None, page: Optional[int] = None, user_id: Optional[str] = None) -> Tuple[List[Dict[str, Any]], int]:  # type: ignore[override]
        raise NotImplementedError("get_user_memory_stats is not implemented yet")

    def upsert_user_memory(self, memory: agno.db.schemas.memory.UserMemory, deserialize: Optional[bool] = True) -> Union[agno.db.schemas.memory.UserMemory, Dict[str, Any], NoneType]:  # type: ignore[override]
        raise NotImplementedError("upsert_user_memory is not implemented yet")

    def upsert_memories(self, memories: List[agno.db.schemas.memory.UserMemory], deserialize: Optional[bool] = True, preserve_updated_at: bool = False) -> List[Union[agno.db.schemas.memory.UserMemory, Dict[str, Any]]]:  # type: ignore[override]
        raise NotImplementedError("upsert_memories is not implemented yet")
