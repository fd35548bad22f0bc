"""The CRM's notification callback (zoho-api.md §1.9) and our answer to it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator


class CrmNotification(BaseModel):
    """The CRM's notification callback body (zoho-api.md §1.9); unknown keys are ignored."""

    server_time: int
    module: str = Field(min_length=1, max_length=100)
    ids: list[str] = Field(min_length=1, max_length=1000)
    operation: Literal["insert", "update", "delete"]
    channel_id: str = Field(min_length=1, max_length=40)
    token: str | None = Field(default=None, max_length=50)
    resource_uri: str | None = None
    query_params: dict[str, Any] = {}
    affected_fields: list[dict[str, Any]] | None = None

    @field_validator("ids", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any) -> Any:
        return [str(v) for v in value] if isinstance(value, list) else value

    @field_validator("channel_id", mode="before")
    @classmethod
    def _channel_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class NotificationAccepted(BaseModel):
    status: Literal["queued", "duplicate", "ignored"]
    queued: int = 0
