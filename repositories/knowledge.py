"""Knowledge contents (what agno's Knowledge tracks; chunks live in the vector store). (Not implemented yet: every method raises NotImplementedError.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from repositories.core.dialect import Ctx
from repositories.core.operation import Operation


class KnowledgeMethods:
    _ctx: Ctx

    _run: Callable[[Operation[Any]], Any]  # SqlDb's executor

    def delete_knowledge_content(self, id: str, user_id: Optional[str] = None):  # type: ignore[override]
        raise NotImplementedError("delete_knowledge_content is not implemented yet")

    def get_knowledge_content(self, id: str, user_id: Optional[str] = None) -> Optional[agno.db.schemas.knowledge.KnowledgeRow]:  # type: ignore[override]
        raise NotImplementedError("get_knowledge_content is not implemented yet")

    def get_knowledge_contents(self, limit: Optional[int] = None, page: Optional[int] = None, sort_by: Optional[str] = None, sort_order: Optional[str] = None, linked_to: Optional[str] = None, user_id: Optional[str] = None) -> Tuple[List[agno.db.schemas.knowledge.KnowledgeRow], int]:  # type: ignore[override]
        raise NotImplementedError("get_knowledge_contents is not implemented yet")

    def upsert_knowledge_content(self, knowledge_row: agno.db.schemas.knowledge.KnowledgeRow):  # type: ignore[override]
        raise NotImplementedError("upsert_knowledge_content is not implemented yet")
