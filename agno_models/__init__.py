"""What agno-models stores: one SQLModel table per agno entity, under one naming convention."""

# ruff: noqa: I001
# Importing the model modules registers their table kinds (agno_models.registry), in this order
# (agno's: sessions first); layout comes last because its default names read the full registry.
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
from agno_models.versions import SchemaVersion
from agno_models.layout import DEFAULT_NAMES, TableNames, metadata_for

__all__ = [
    "DEFAULT_NAMES",
    "NAMING_CONVENTION",
    "AgnoMemory",
    "AgnoRun",
    "AgnoSession",
    "AgnoTable",
    "Approval",
    "AuthToken",
    "Compaction",
    "Component",
    "ComponentConfig",
    "ComponentLink",
    "EvalRun",
    "KnowledgeContent",
    "KnowledgeEmbedding",
    "Learning",
    "Metrics",
    "Schedule",
    "ScheduleRun",
    "SchemaVersion",
    "Span",
    "TableNames",
    "ToolResult",
    "Trace",
    "TranscriptEntry",
    "metadata",
    "metadata_for",
]
