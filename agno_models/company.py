"""Company: products, the sources they read, their projects, and the tasks agents work on.

agno 3.1's ``agno_company_*`` tables (``agno.db.sqlite.schemas``), column for column, so a
database agno's own class wrote keeps working in place. Lifecycle history (transitions, archive
provenance, acceptances) lives in the JSON ``transitions`` column, as in agno. ``name`` and
``title`` are nullable as in agno's PostgresDb, which stores rows without them.
"""

from typing import Any

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, json_type, kind_string, long_text, name_string


class CompanyProduct(AgnoTable, table=True):
    __tablename__ = "agno_company_products"

    id: str = Field(primary_key=True, sa_type=id_string())
    name: str | None = Field(default=None, sa_type=name_string(), index=True)
    purpose: str | None = Field(default=None, sa_type=long_text())
    user_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    metadata_: dict[str, Any] | None = Field(default=None, sa_type=json_type(), sa_column_kwargs={"name": "metadata"})
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)
    deleted_at: int | None = Field(default=None, sa_type=BigInteger)


class CompanySource(AgnoTable, table=True):
    __tablename__ = "agno_company_sources"

    id: str = Field(primary_key=True, sa_type=id_string())
    product_id: str = Field(sa_type=id_string(), index=True)
    reference: str = Field(sa_type=long_text())
    type: str = Field(sa_type=kind_string())
    credential_ref: str | None = Field(default=None, sa_type=name_string())
    user_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    config: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)
    deleted_at: int | None = Field(default=None, sa_type=BigInteger)


class CompanyProject(AgnoTable, table=True):
    __tablename__ = "agno_company_projects"

    id: str = Field(primary_key=True, sa_type=id_string())
    name: str | None = Field(default=None, sa_type=name_string(), index=True)
    outcome: str | None = Field(default=None, sa_type=long_text())
    user_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    transitions: list[Any] | None = Field(default=None, sa_type=json_type())
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)
    deleted_at: int | None = Field(default=None, sa_type=BigInteger)
    product_id: str = Field(sa_type=id_string(), index=True)
    status: str = Field(sa_type=kind_string(), index=True)
    target_date: int | None = Field(default=None, sa_type=BigInteger)


class CompanyTask(AgnoTable, table=True):
    __tablename__ = "agno_company_tasks"
    __table_args__ = (
        # A routine's proposal is stored once per product (agno's uq_company_task_evidence).
        UniqueConstraint("product_id", "dedupe_key"),
        # Automatic acceptance counts a routine's earlier work on every transition it gates.
        Index(None, "routine_id"),
    )

    id: str = Field(primary_key=True, sa_type=id_string())
    product_id: str = Field(sa_type=id_string(), index=True)
    project_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    title: str | None = Field(default=None, sa_type=name_string(), index=True)
    brief: str | None = Field(default=None, sa_type=long_text())
    status: str = Field(sa_type=kind_string(), index=True)
    user_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    executor_type: str | None = Field(default=None, sa_type=kind_string())
    executor_id: str | None = Field(default=None, sa_type=id_string())
    accepted_by: str | None = Field(default=None, sa_type=id_string())
    accepted_at: int | None = Field(default=None, sa_type=BigInteger)
    session_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    job_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    evidence: list[Any] | None = Field(default=None, sa_type=json_type())
    result: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    origin: str | None = Field(default=None, sa_type=kind_string())
    routine_id: str | None = Field(default=None, sa_type=id_string())
    dedupe_key: str | None = Field(default=None, sa_type=id_string())
    transitions: list[Any] | None = Field(default=None, sa_type=json_type())
    metadata_: dict[str, Any] | None = Field(default=None, sa_type=json_type(), sa_column_kwargs={"name": "metadata"})
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)
    deleted_at: int | None = Field(default=None, sa_type=BigInteger)


register(CompanyProduct, kind="products", argument="products_table", attribute="products_table_name")
register(CompanySource, kind="sources", argument="sources_table", attribute="sources_table_name")
register(CompanyProject, kind="projects", argument="projects_table", attribute="projects_table_name")
register(CompanyTask, kind="tasks", argument="tasks_table", attribute="tasks_table_name")
