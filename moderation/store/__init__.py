"""Durable storage: SQLAlchemy 2 models and the engine/session plumbing.

Importing this package registers every table on :data:`Base.metadata`, which is
what Alembic and the test fixtures read.
"""

from moderation.store.audit import AuditChainHead, AuditEvent
from moderation.store.base import Base
from moderation.store.comments import (
    ChangeCounter,
    Comment,
    CommentRevision,
    Decision,
    SenderDetails,
    Verdict,
)
from moderation.store.compliance import DisclosureRequest, Export, ExportApproval, LegalHold
from moderation.store.feedback import Feedback
from moderation.store.integrations import CoralSecret, IntegrationComment
from moderation.store.site_models import SiteModel
from moderation.store.sites import ApiKey, Ban, Site
from moderation.store.users import ConsoleSession, RecoveryCode, User, UserSite
from moderation.store.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "ApiKey",
    "AuditChainHead",
    "AuditEvent",
    "Ban",
    "Base",
    "ChangeCounter",
    "Comment",
    "CommentRevision",
    "ConsoleSession",
    "CoralSecret",
    "Decision",
    "DisclosureRequest",
    "Export",
    "ExportApproval",
    "Feedback",
    "IntegrationComment",
    "LegalHold",
    "RecoveryCode",
    "SenderDetails",
    "Site",
    "SiteModel",
    "User",
    "UserSite",
    "Verdict",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
