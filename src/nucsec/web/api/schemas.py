"""Request and response bodies of the REST API (they make the OpenAPI document).

Labelled records are answered as the services' view types (:mod:`nucsec.service.views`),
which are the response models themselves: the lists below only wrap them
(:data:`VersionList`, :data:`AttachmentList`). The other responses (accounts, audit) are
documented here; schemathesis checks that the answers match. Request models forbid
unknown fields.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from nucsec.service.views import AttachmentView, DocumentVersion
from nucsec.web.warm import WarmingState

__all__ = [
    "AccessEntry",
    "AccessReport",
    "AttachmentList",
    "AuditEventOut",
    "AuditPage",
    "Count",
    "DocumentIn",
    "ErrorOut",
    "Health",
    "LabelIn",
    "LabelRendered",
    "Me",
    "TokenCreated",
    "TokenIn",
    "TokenOut",
    "UserIn",
    "UserOut",
    "UserPatch",
    "VerifyOut",
    "VersionList",
]

#: a label as text (banner, portion mark, JSON) or as the structured JSON object
LabelText = str | dict[str, Any]


def _no_nul(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
    elif isinstance(value, dict):
        for k, v in value.items():
            _no_nul(k)
            _no_nul(v)
    elif isinstance(value, list):
        for v in value:
            _no_nul(v)


class _In(BaseModel):
    """A request body: unknown fields refused, no NUL character anywhere."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        _no_nul(data)
        return data


class ErrorOut(BaseModel):
    error: str = Field(description="machine-readable kind, e.g. not_found, invalid_input")
    message: str = Field(description="a sentence for a person")
    field: str | None = None
    value: Any = None


class Health(BaseModel):
    status: str
    database: str
    warming: WarmingState = Field(
        description="this server process's start-up loading (nucsec.web.warm): measure "
        "speed once every worker says done"
    )
    worker: str = Field(description="opaque name of the server process that answered")


class LabelIn(_In):
    label: LabelText = Field(description="banner, portion mark, or JSON label")


class LabelRendered(BaseModel):
    banner: str
    portion: str
    renderings: dict[str, str] = Field(description="the label in each agreement nation's scheme")
    label: dict[str, Any]


class DocumentIn(_In):
    title: str = Field(max_length=500)
    body: str
    label: LabelText = Field(description="label of the whole document (every portion)")
    title_label: LabelText | None = Field(None, description="portion label of the title")
    body_label: LabelText | None = Field(None, description="portion label of the body")
    note: str = Field("", max_length=2000, description="change note")
    base_version: int | None = Field(
        None,
        ge=1,
        description="on update: the version this change was made from; 409 if someone "
        "saved a newer one since (their change is not overwritten)",
    )


class Count(BaseModel):
    count: int


class AccessEntry(BaseModel):
    subject: str = Field(description="agency (NATION.AGENCY) or user name")
    kind: str = Field(description="agency or user")
    clearance: str
    allowed: bool
    reasons: list[str]
    note: str = ""


class AccessReport(BaseModel):
    document: str
    banner: str
    agencies: list[AccessEntry]
    users: list[AccessEntry]


class UserOut(BaseModel):
    id: str
    username: str
    display_name: str
    nation: str
    agency: str
    roles: list[str]
    clearance: str
    compartments: list[str]
    active: bool


class Me(UserOut):
    clearance_in: dict[str, str] = Field(description="the clearance in each scheme")
    via: str = Field(description="session or token")
    scopes: list[str]


class UserIn(_In):
    username: str = Field(min_length=1, max_length=64)
    display_name: str | None = Field(None, max_length=200)
    nation: str = Field(min_length=3, max_length=3)
    agency: str = Field(min_length=1, max_length=32)
    clearance: str = Field(min_length=1, max_length=64)
    compartments: list[str] = []
    roles: list[str] = Field(min_length=1)
    password: str | None = Field(None, min_length=12, max_length=1024)


class UserPatch(_In):
    display_name: str | None = Field(None, max_length=200)
    agency: str | None = Field(None, min_length=1, max_length=32)
    clearance: str | None = Field(None, min_length=1, max_length=64)
    compartments: list[str] | None = None
    roles: list[str] | None = Field(None, min_length=1)
    active: bool | None = None


class TokenIn(_In):
    user: str = Field(min_length=1, max_length=64, description="user name")
    scopes: list[str] = Field(default_factory=list, description="read, write, admin")
    name: str = Field("", max_length=200)
    expires_days: float | None = Field(None, gt=0, le=3650)


class TokenOut(BaseModel):
    id: str
    user_id: str
    prefix: str
    scopes: list[str]
    name: str
    created_at: str | None
    created_by: str
    expires_at: str | None
    revoked_at: str | None
    last_used_at: str | None


class TokenCreated(TokenOut):
    token: str = Field(description="the secret, shown once")


class AuditEventOut(BaseModel):
    """An audit event as auditors see it: record ids replaced by keyed pseudonyms, and
    reduced where the reference monitor does not let the auditor read its records."""

    seq: int
    time: str
    actor: str
    actor_name: str = Field(description="user name of the actor, when the actor is a user")
    action: str
    object: str | None
    outcome: str
    details: dict[str, Any]
    v: int
    reduced: bool = Field(
        False,
        description="true when the event is about a record the auditor may not read: "
        "only who, when, action and outcome are shown",
    )


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    more: bool


class VerifyOut(BaseModel):
    ok: bool
    events: int
    root_hash: str
    checkpoints: int
    latest_checkpoint_size: int | None
    first_bad_event: int | None
    problems: list[dict[str, Any]]
    more_problems: int


#: ``{"items": [...]}`` answers, derived from the views they list
VersionList = create_model("VersionList", items=(list[DocumentVersion], ...))
AttachmentList = create_model("AttachmentList", items=(list[AttachmentView], ...))
