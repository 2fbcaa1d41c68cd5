"""Components, their configs and links. (Not implemented yet: every method raises NotImplementedError.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from repositories.core.dialect import Ctx
from repositories.core.operation import Operation


class ComponentsMethods:
    _ctx: Ctx

    _run: Callable[[Operation[Any]], Any]  # SqlDb's executor

    def get_component(self, component_id: str, component_type: Optional[agno.db.base.ComponentType] = None, user_id: Optional[str] = None, include_deleted: bool = False) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("get_component is not implemented yet")

    def upsert_component(self, component_id: str, component_type: Optional[agno.db.base.ComponentType] = None, name: Optional[str] = None, description: Optional[str] = None, current_version: Optional[int] = None, metadata: Optional[Dict[str, Any]] = None, user_id: Optional[str] = None) -> Dict[str, Any]:  # type: ignore[override]
        raise NotImplementedError("upsert_component is not implemented yet")

    def delete_component(self, component_id: str, hard_delete: bool = False, user_id: Optional[str] = None, expected_current_version: Optional[int] = None, require_no_dependents: bool = True, cascade_stats: Optional[Dict[str, int]] = None) -> bool:  # type: ignore[override]
        raise NotImplementedError("delete_component is not implemented yet")

    def restore_component(self, component_id: str, user_id: Optional[str] = None) -> bool:  # type: ignore[override]
        raise NotImplementedError("restore_component is not implemented yet")

    def list_components(self, component_type: Optional[agno.db.base.ComponentType] = None, include_deleted: bool = False, limit: int = 20, offset: int = 0, exclude_component_ids: Optional[Set[str]] = None, user_id: Optional[str] = None, name: Optional[str] = None) -> Tuple[List[Dict[str, Any]], int]:  # type: ignore[override]
        raise NotImplementedError("list_components is not implemented yet")

    def create_component_with_config(self, component_id: str, component_type: agno.db.base.ComponentType, name: Optional[str], config: Dict[str, Any], description: Optional[str] = None, metadata: Optional[Dict[str, Any]] = None, label: Optional[str] = None, stage: str = 'draft', notes: Optional[str] = None, links: Optional[List[Dict[str, Any]]] = None, user_id: Optional[str] = None) -> Tuple[Dict[str, Any], Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("create_component_with_config is not implemented yet")

    def get_config(self, component_id: str, version: Optional[int] = None, label: Optional[str] = None, include_deleted: bool = False) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("get_config is not implemented yet")

    def get_current_config(self, component_id: str) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("get_current_config is not implemented yet")

    def get_latest_config(self, component_id: str) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("get_latest_config is not implemented yet")

    def get_latest_configs(self, component_ids: Set[str]) -> Dict[str, Optional[Dict[str, Any]]]:  # type: ignore[override]
        raise NotImplementedError("get_latest_configs is not implemented yet")

    def upsert_config(self, component_id: str, config: Optional[Dict[str, Any]] = None, version: Optional[int] = None, label: Optional[str] = None, stage: Optional[str] = None, notes: Optional[str] = None, links: Optional[List[Dict[str, Any]]] = None, expected_latest_version: Optional[int] = None, expected_current_version: Optional[int] = None, user_id: Optional[str] = None) -> Dict[str, Any]:  # type: ignore[override]
        raise NotImplementedError("upsert_config is not implemented yet")

    def delete_config(self, component_id: str, version: int, user_id: Optional[str] = None) -> bool:  # type: ignore[override]
        raise NotImplementedError("delete_config is not implemented yet")

    def list_configs(self, component_id: str, include_config: bool = False, include_deleted: bool = False) -> List[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("list_configs is not implemented yet")

    def set_current_version(self, component_id: str, version: int, expected_current_version: Optional[int] = None, user_id: Optional[str] = None) -> bool:  # type: ignore[override]
        raise NotImplementedError("set_current_version is not implemented yet")

    def get_links(self, component_id: str, version: int, link_kind: Optional[str] = None) -> List[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("get_links is not implemented yet")

    def get_dependents(self, component_id: str, version: Optional[int] = None, active_parents_only: bool = False) -> List[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("get_dependents is not implemented yet")

    def load_component_graph(self, component_id: str, version: Optional[int] = None, label: Optional[str] = None) -> Optional[Dict[str, Any]]:  # type: ignore[override]
        raise NotImplementedError("load_component_graph is not implemented yet")
