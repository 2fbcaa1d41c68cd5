"""Components (agents, teams, workflows saved as configs), their versions and their links."""

from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, ForeignKeyConstraint, Integer
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, json_type, kind_string, long_text, name_string


class Component(AgnoTable, table=True):
    __tablename__ = "agno_components"

    component_id: str = Field(primary_key=True, sa_type=id_string())
    component_type: str = Field(sa_type=kind_string(), index=True)
    name: str | None = Field(default=None, sa_type=name_string(), index=True)
    user_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    description: str | None = Field(default=None, sa_type=long_text())
    current_version: int | None = Field(default=None, sa_type=Integer, index=True)
    metadata_: dict[str, Any] | None = Field(default=None, sa_type=json_type(), sa_column_kwargs={"name": "metadata"})
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)
    deleted_at: int | None = Field(default=None, sa_type=BigInteger)


class ComponentConfig(AgnoTable, table=True):
    """One version of a component's config; ``stage`` is draft or published."""

    __tablename__ = "agno_component_configs"

    component_id: str = Field(
        sa_column=Column(
            id_string(), ForeignKey("agno_components.component_id", ondelete="CASCADE"), primary_key=True
        )
    )
    version: int = Field(primary_key=True, sa_type=Integer, sa_column_kwargs={"autoincrement": False})
    label: str | None = Field(default=None, sa_type=name_string())
    stage: str = Field(default="draft", sa_type=kind_string(), index=True)
    config: dict[str, Any] = Field(sa_type=json_type())
    notes: str | None = Field(default=None, sa_type=long_text())
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)
    deleted_at: int | None = Field(default=None, sa_type=BigInteger)


class ComponentLink(AgnoTable, table=True):
    """An edge from one component version to a child component (a team member, a step, ...)."""

    __tablename__ = "agno_component_links"
    __table_args__ = (
        ForeignKeyConstraint(
            ["parent_component_id", "parent_version"],
            ["agno_component_configs.component_id", "agno_component_configs.version"],
            ondelete="CASCADE",
        ),
    )

    parent_component_id: str = Field(primary_key=True, sa_type=id_string())
    parent_version: int = Field(primary_key=True, sa_type=Integer, sa_column_kwargs={"autoincrement": False})
    link_kind: str = Field(primary_key=True, sa_type=kind_string(), index=True)
    link_key: str = Field(primary_key=True, sa_type=id_string())
    child_component_id: str = Field(
        sa_column=Column(id_string(), ForeignKey("agno_components.component_id"), nullable=False, index=True)
    )
    child_version: int | None = Field(default=None, sa_type=Integer)
    position: int = Field(sa_type=Integer)
    meta: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    created_at: int | None = Field(default=None, sa_type=BigInteger, index=True)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)


register(Component, kind="components", argument="components_table", attribute="components_table_name")
register(ComponentConfig, kind="component_configs", argument="component_configs_table", attribute="component_configs_table_name")
register(ComponentLink, kind="component_links", argument="component_links_table", attribute="component_links_table_name")
