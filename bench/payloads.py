"""Realistic agno payloads, the same on every run: runs of ~10 messages with metrics, sessions, memories.

A run is what an agent turn stores: a system prompt, four user/assistant exchanges and a final
answer (10 messages of 200-400 characters), token metrics on each assistant message and on the
run, the input and the content. Serialized it is about 6 KB of JSON, like a real agno run.
Building 50,000 such objects would dominate set-up time, so a few dozen conversations are made
once and each run reuses one (with its own ids and timestamps); the text differs between
templates, not between the runs sharing one, which no database notices.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from agno.db.schemas.memory import UserMemory
from agno.metrics import MessageMetrics, ModelMetrics, RunMetrics
from agno.models.message import Message
from agno.run.agent import RunInput, RunOutput
from agno.run.base import RunStatus
from agno.session import AgentSession
from agno.session.summary import SessionSummary

AGENT_ID = "support-agent"
MODEL = "gpt-4o-mini"
PROVIDER = "OpenAI"

_WORDS = (
    "the", "order", "account", "refund", "invoice", "shipping", "delivery", "address", "payment", "card",
    "bank", "transfer", "customer", "support", "ticket", "issue", "problem", "question", "answer", "please",
    "thanks", "help", "update", "status", "tracking", "number", "warehouse", "parcel", "return", "policy",
    "days", "week", "month", "store", "online", "product", "size", "colour", "price", "discount", "coupon",
    "code", "email", "phone", "confirm", "cancel", "change", "request", "reply", "agent", "manager",
    "escalate", "review", "service", "quality", "late", "damaged", "missing", "replacement", "credit",
    "balance", "statement", "subscription", "plan", "upgrade", "downgrade", "renewal", "trial", "feature",
    "bug", "login", "password", "reset", "security", "verify", "identity", "document", "upload", "file",
    "report", "export", "data", "privacy", "settings",
)


def _text(rng: random.Random, length: int) -> str:
    words: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(_WORDS)
        words.append(word)
        size += len(word) + 1
    sentence = " ".join(words)[:length].rstrip()
    return sentence[0].upper() + sentence[1:] + "."


class Payloads:
    """Deterministic agno objects: ``run_output``, ``run_dict``, ``agent_session``, ``memory``."""

    def __init__(self, seed: int = 7, templates: int = 32) -> None:
        rng = random.Random(seed)
        self._conversations = [self._conversation(rng) for _ in range(templates)]
        self._memory_texts = [_text(rng, rng.randint(80, 200)) for _ in range(templates)]
        self._summaries = [_text(rng, rng.randint(150, 300)) for _ in range(templates)]
        # run_dict(): one serialized run per template, copied and re-keyed per run.
        self._run_dicts = [
            self.run_output(run_id="t", session_id="t", user_id="t", created_at=0, template=i).to_dict()
            for i in range(templates)
        ]

    @staticmethod
    def _conversation(rng: random.Random) -> list[tuple[str, str]]:
        turns = [("system", _text(rng, 300))]
        for j in range(9):
            turns.append(("user" if j % 2 == 0 else "assistant", _text(rng, rng.randint(200, 400))))
        return turns

    def _pick(self, items: list[Any], template: int) -> Any:
        return items[template % len(items)]

    # --- runs -------------------------------------------------------------------------------

    def run_output(self, *, run_id: str, session_id: str, user_id: str, created_at: int, template: int) -> RunOutput:
        """A completed agent run: 10 messages, per-message and per-run metrics."""
        messages = []
        for role, content in self._pick(self._conversations, template):
            message = Message(role=role, content=content)
            if role == "assistant":
                message.metrics = MessageMetrics(input_tokens=310, output_tokens=95, total_tokens=405, duration=1.4)
            messages.append(message)
        metrics = RunMetrics(
            input_tokens=1550, output_tokens=480, total_tokens=2030, duration=7.1, time_to_first_token=0.6,
            details={"model": [ModelMetrics(id=MODEL, provider=PROVIDER, input_tokens=1550, output_tokens=480,
                                            total_tokens=2030)]},
        )
        return RunOutput(
            run_id=run_id, agent_id=AGENT_ID, agent_name="Support agent", session_id=session_id, user_id=user_id,
            input=RunInput(input_content=messages[1].content), content=messages[-1].content, model=MODEL,
            model_provider=PROVIDER, messages=messages, metrics=metrics, status=RunStatus.completed,
            created_at=created_at,
        )

    def run_dict(self, *, run_id: str, session_id: str, user_id: str, created_at: int, template: int) -> dict[str, Any]:
        """``run_output(...).to_dict()`` without building the objects (for bulk-loading data)."""
        data = copy.copy(self._pick(self._run_dicts, template))
        data.update(run_id=run_id, session_id=session_id, user_id=user_id, created_at=created_at)
        return data

    # --- sessions ---------------------------------------------------------------------------

    def agent_session(
        self, *, session_id: str, user_id: str, created_at: int, template: int = 0, runs: list[Any] | None = None,
        revision: int = 0,
    ) -> AgentSession:
        """An agent session as agno stores it: name, state, metrics, agent data, a summary."""
        return AgentSession(
            session_id=session_id,
            agent_id=AGENT_ID,
            user_id=user_id,
            session_data={
                "session_name": f"Conversation {session_id}",
                "session_state": {"locale": "en-GB", "order_id": f"o-{template:05d}", "revision": revision},
                "session_metrics": {"input_tokens": 7750, "output_tokens": 2400, "total_tokens": 10150},
            },
            agent_data={"name": "Support agent", "agent_id": AGENT_ID,
                        "model": {"id": MODEL, "name": "OpenAIChat", "provider": PROVIDER}},
            metadata={"channel": "web", "tier": "standard"},
            summary=SessionSummary(summary=self._pick(self._summaries, template), topics=["orders", "refunds"]),
            runs=runs,
            created_at=created_at,
            updated_at=created_at,
        )

    def session_row(self, session: AgentSession) -> dict[str, Any]:
        """The session-table row of ``session`` (bulk loading writes rows directly)."""
        data = session.to_dict(include_runs=False)
        return {
            "session_id": data["session_id"], "session_type": "agent", "agent_id": data["agent_id"],
            "user_id": data["user_id"], "session_data": data["session_data"], "agent_data": data["agent_data"],
            "metadata": data["metadata"], "summary": data["summary"], "created_at": data["created_at"],
            "updated_at": data["updated_at"],
        }

    # --- memories ---------------------------------------------------------------------------

    def memory(self, *, memory_id: str, user_id: str, created_at: int, template: int) -> UserMemory:
        return UserMemory(
            memory=self._pick(self._memory_texts, template),
            memory_id=memory_id,
            topics=[_WORDS[template % len(_WORDS)], _WORDS[(template * 7 + 3) % len(_WORDS)]],
            user_id=user_id,
            input=self._pick(self._summaries, template)[:160],
            agent_id=AGENT_ID,
            created_at=created_at,
            updated_at=created_at,
        )

    def memory_row(self, memory: UserMemory) -> dict[str, Any]:
        return {
            "memory_id": memory.memory_id, "memory": memory.memory, "input": memory.input, "feedback": None,
            "user_id": memory.user_id, "agent_id": memory.agent_id, "team_id": None, "topics": memory.topics,
            "created_at": memory.created_at, "updated_at": memory.updated_at,
        }
