"""What agno-models stores: one SQLModel table per agno entity, under one naming convention."""

# ruff: noqa: I001
# Importing the model modules registers their table kinds (agno_models.registry), in this order
# (agno's: sessions first); layout comes last because its default names read the full registry.
import logging

from agno_models.base import NAMING_CONVENTION, AgnoTable, metadata
from agno_models.sessions import AgnoRun, AgnoSession
from agno_models.memories import AgnoMemory
from agno_models.knowledge import KnowledgeContent, KnowledgeEmbedding
from agno_models.evals import EvalRun
from agno_models.metrics import Metrics
from agno_models.tracing import Span, Trace
from agno_models.schedules import Schedule, ScheduleRun
from agno_models.approvals import Approval
from agno_models.learnings import Learning
from agno_models.components import Component, ComponentConfig, ComponentLink
from agno_models.offloads import Compaction, ToolResult
from agno_models.transcripts import TranscriptEntry
from agno_models.auth_tokens import AuthToken
from agno_models.jobs import Job
from agno_models.service_accounts import ServiceAccount
from agno_models.mcp_oauth import McpOAuthClient, McpOAuthCode, McpOAuthKey, McpOAuthRefreshToken, McpOAuthTransaction
from agno_models.authz import AuthzAuditEvent, AuthzDecision, AuthzGrouping, AuthzPolicy, AuthzRole, AuthzUser
from agno_models.company import CompanyProduct, CompanyProject, CompanySource, CompanyTask
from agno_models.sandbox import SandboxBinding
from agno_models.versions import SchemaVersion
from agno_models.layout import DEFAULT_NAMES, TableNames, metadata_for

# Silent unless the application configures logging (loggers: agno_models.migrate, ...).
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "DEFAULT_NAMES",
    "NAMING_CONVENTION",
    "AgnoMemory",
    "AgnoRun",
    "AgnoSession",
    "AgnoTable",
    "Approval",
    "AuthToken",
    "AuthzAuditEvent",
    "AuthzDecision",
    "AuthzGrouping",
    "AuthzPolicy",
    "AuthzRole",
    "AuthzUser",
    "Compaction",
    "CompanyProduct",
    "CompanyProject",
    "CompanySource",
    "CompanyTask",
    "Component",
    "ComponentConfig",
    "ComponentLink",
    "EvalRun",
    "Job",
    "KnowledgeContent",
    "KnowledgeEmbedding",
    "Learning",
    "McpOAuthClient",
    "McpOAuthCode",
    "McpOAuthKey",
    "McpOAuthRefreshToken",
    "McpOAuthTransaction",
    "Metrics",
    "Schedule",
    "SandboxBinding",
    "ScheduleRun",
    "SchemaVersion",
    "ServiceAccount",
    "Span",
    "TableNames",
    "ToolResult",
    "Trace",
    "TranscriptEntry",
    "metadata",
    "metadata_for",
]
