"""Optional language-model refinement of an offline draft.

Two routes: MCP sampling (the connected copilot's model, driven from the MCP tool) and an
OpenAI-compatible chat-completions endpoint set by configuration. Either way the result passes
`drafts.guard_refinement`; any failure, timeout or unsafe rewrite keeps the offline draft.

Privacy: the configured endpoint (and the copilot's model behind MCP sampling) is an external
data processor acting for the provider. It receives only the prompt built by
`RefineRequest.prompt`: the draft, tone, language, intent and the prospect's message with phone
numbers, e-mail addresses and the sender's known name replaced by placeholders. It is off unless
configured (`llm_base_url` + `llm_model`); whoever configures it needs a processing agreement.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Protocol

import httpx

from prospecting.config import Settings
from prospecting.qualify.drafts import guard_refinement

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You polish a reply a service provider will send to a prospective client. Keep the same "
    "language, meaning and facts. Do not add any number, price, time, date, link, e-mail "
    "address or promise that is not already in the draft. Answer with the reply text only."
)


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d\s()\-]{5,}\d(?!\w)")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MIN_PHONE_DIGITS = 7


def _phone(match: re.Match[str]) -> str:
    found = match.group()
    if ISO_DATE.fullmatch(found) or sum(c.isdigit() for c in found) < MIN_PHONE_DIGITS:
        return found
    return "[phone]"


def redact(text: str, *, names: tuple[str, ...] = ()) -> str:
    """The message without e-mail addresses, phone numbers (7+ digits) or the given names."""
    text = EMAIL.sub("[email]", text)
    text = PHONE.sub(_phone, text)
    parts = {p for name in names for p in re.split(r"[\s,]+", name) if len(p) >= 2}
    for part in sorted(parts, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", "[name]", text, flags=re.IGNORECASE)
    return text


@dataclass(frozen=True)
class RefineRequest:
    draft: str
    message: str
    tone: str
    language: str
    intent: str
    sender_name: str | None = None

    def prompt(self) -> str:
        """What leaves the process: the prospect's contact details and name are redacted."""
        names = (self.sender_name,) if self.sender_name else ()
        message = redact(self.message[:2000], names=names)
        return (
            f"Tone: {self.tone}. Language: {self.language}. The prospect's intent: {self.intent}.\n"
            f"Their message:\n<<<\n{message}\n>>>\n"
            f"Draft reply to polish:\n<<<\n{self.draft}\n>>>"
        )


class Refiner(Protocol):
    name: str

    def __call__(self, request: RefineRequest) -> str | None: ...


class OpenAICompatibleRefiner:
    """POST {base_url}/chat/completions; never raises, answers None on any problem."""

    name = "llm_endpoint"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout = timeout
        self.transport = transport

    def __call__(self, request: RefineRequest) -> str | None:
        payload = {
            "model": self.model,
            "temperature": 0.2,
            "max_tokens": 600,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": request.prompt()},
            ],
        }
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                response = client.post(self.url, json=payload, headers=self.headers)
                response.raise_for_status()
                content = response.json()["choices"][0]["message"]["content"]
        except Exception as exc:  # any failure keeps the offline draft
            log.warning("draft refinement endpoint failed: %s", type(exc).__name__)
            return None
        return content if isinstance(content, str) else None


def refiner_from_settings(settings: Settings) -> Refiner | None:
    if not settings.llm_base_url or not settings.llm_model:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return OpenAICompatibleRefiner(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=key,
        timeout=settings.llm_timeout_seconds,
    )


def refine(refiner: Refiner | None, request: RefineRequest) -> tuple[str, str]:
    """(body, source): the guarded refinement, or the offline draft."""
    if refiner is None:
        return request.draft, "offline"
    try:
        candidate = refiner(request)
    except Exception:
        log.warning("draft refiner %s raised; keeping the offline draft", refiner.name)
        return request.draft, "offline"
    safe = guard_refinement(request.draft, candidate)
    return (safe, refiner.name) if safe is not None else (request.draft, "offline")
