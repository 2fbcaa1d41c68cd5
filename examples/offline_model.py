"""An agno model that answers from a script instead of a network API.

agno ships no offline model. This one is a real ``agno.models.base.Model`` subclass, so agents,
teams, workflows, memory and summary managers drive it exactly as they drive OpenAI: it returns
text, calls the tools it is given, and produces structured output when asked. It records every
request, so tests can check what the agent actually sent (e.g. history from earlier runs).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from agno.metrics import MessageMetrics
from agno.models.base import Model
from agno.models.message import Message
from agno.models.response import ModelResponse

Decide = Callable[["Request"], "Reply"]


@dataclass
class Request:
    messages: list[Message]
    tools: list[dict[str, Any]]
    response_format: Any

    @property
    def tool_names(self) -> list[str]:
        return [t.get("function", {}).get("name", "") for t in self.tools]

    @property
    def last_user_text(self) -> str:
        for message in reversed(self.messages):
            if message.role == "user":
                return message.get_content_string()
        return ""

    @property
    def answered_tool_calls(self) -> int:
        return sum(1 for m in self.messages if m.role == "tool")


@dataclass
class Reply:
    content: str | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def default_decide(request: Request) -> Reply:
    """Answer like a helpful, very predictable assistant.

    - structured output requested (session summaries): a JSON summary of the user's messages;
    - memory tools offered: store the user's last message as a memory if it has #topics;
    - a team leader offered ``delegate_task_to_members``: hand the task to every member;
    - a ``remember ...`` message with a ``set_state`` tool: call it;
    - otherwise: a reply quoting the user and counting the messages seen.
    """
    user_texts = [m.get_content_string() for m in request.messages if m.role == "user"]
    if request.response_format is not None:
        # The summary prompt carries the conversation in its system message.
        conversation = " ".join(m.get_content_string() for m in request.messages if m.role == "system")
        said = re.findall(r"User: (.+)", conversation) or user_texts
        return Reply(content=json.dumps({"summary": "The user said: " + " | ".join(s.strip() for s in said), "topics": ["chat"]}))
    if "add_memory" in request.tool_names:
        # Worth remembering: messages the user tagged with #topics.
        text = request.last_user_text
        topics = sorted(set(re.findall(r"#(\w+)", text)))
        if topics and request.answered_tool_calls == 0:
            return Reply(tool_calls=[("add_memory", {"memory": f"User said: {text}", "topics": topics})])
        return Reply(content="Nothing new to remember." if not topics else "Memory saved.")
    if "delegate_task_to_members" in request.tool_names and request.answered_tool_calls == 0:
        return Reply(tool_calls=[("delegate_task_to_members", {"task": request.last_user_text})])
    match = re.match(r"remember (\w+)=(\S+)", request.last_user_text)
    if match and "set_state" in request.tool_names and request.answered_tool_calls == 0:
        return Reply(tool_calls=[("set_state", {"key": match.group(1), "value": match.group(2)})])
    if request.answered_tool_calls:
        return Reply(content="Done.")
    reply = f"You said {request.last_user_text!r}; I have seen {len(user_texts)} user message(s)."
    if len(user_texts) > 1:
        reply += f" Before that you said {user_texts[-2]!r}."
    return Reply(content=reply)


@dataclass
class OfflineModel(Model):
    id: str = "offline-1"
    name: str = "OfflineModel"
    provider: str = "Offline"
    supports_native_structured_outputs: bool = False
    supports_json_schema_outputs: bool = False
    decide: Decide = default_decide
    requests: list[Request] = field(default_factory=list)

    def _reply(self, messages: list[Message], tools: Any, response_format: Any) -> ModelResponse:
        request = Request(messages=list(messages), tools=list(tools or []), response_format=response_format)
        self.requests.append(request)
        reply = self.decide(request)
        calls = [
            {"id": f"call_{len(self.requests)}_{i}", "type": "function",
             "function": {"name": name, "arguments": json.dumps(args)}}
            for i, (name, args) in enumerate(reply.tool_calls)
        ]
        # Usage like a real provider reports it (a word is a token), so metrics have numbers.
        usage = MessageMetrics()
        usage.input_tokens = sum(len(m.get_content_string().split()) for m in messages)
        usage.output_tokens = len((reply.content or "").split()) + 10 * len(calls)
        usage.total_tokens = usage.input_tokens + usage.output_tokens
        return ModelResponse(role="assistant", content=reply.content, tool_calls=calls, response_usage=usage)

    def invoke(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return self._reply(kwargs["messages"], kwargs.get("tools"), kwargs.get("response_format"))

    async def ainvoke(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return self.invoke(*args, **kwargs)

    def invoke_stream(self, *args: Any, **kwargs: Any) -> Iterator[ModelResponse]:
        yield self.invoke(*args, **kwargs)

    async def ainvoke_stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[ModelResponse]:
        yield self.invoke(*args, **kwargs)

    def _parse_provider_response(self, response: Any, **kwargs: Any) -> ModelResponse:
        return response

    def _parse_provider_response_delta(self, response: Any) -> ModelResponse:
        return response
