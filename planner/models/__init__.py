from planner.models.approvals import (
    ApprovalChain,
    ApprovalDecision,
    ApprovalStep,
    Decision,
    StepMode,
)
from planner.models.audit import AuditEvent
from planner.models.campaigns import Cadence, Campaign, Objective
from planner.models.channels import Channel, ChannelKind, ConnectedWith, OAuthApp
from planner.models.connection import PendingConnection
from planner.models.feeds import (
    FeedLink,
    FeedScope,
    ImportStatus,
    KeyDate,
    KeyDateImport,
    KeyDateSource,
)
from planner.models.metrics import FollowerSnapshot, MetricSnapshot, PublicationMetric
from planner.models.notifications import (
    ExpiryNotice,
    Notification,
    NotificationKind,
    NotificationPreference,
    RiskFlag,
    StepReminder,
)
from planner.models.posts import Comment, Label, Media, Post, PostVersion, Variant
from planner.models.publications import Publication, PublicationState

__all__ = [
    "ApprovalChain",
    "ApprovalDecision",
    "ApprovalStep",
    "AuditEvent",
    "Cadence",
    "Campaign",
    "Channel",
    "ChannelKind",
    "Comment",
    "ConnectedWith",
    "Decision",
    "ExpiryNotice",
    "FeedLink",
    "FeedScope",
    "FollowerSnapshot",
    "ImportStatus",
    "KeyDate",
    "KeyDateImport",
    "KeyDateSource",
    "Label",
    "Media",
    "MetricSnapshot",
    "Notification",
    "NotificationKind",
    "NotificationPreference",
    "OAuthApp",
    "Objective",
    "PendingConnection",
    "Post",
    "PostVersion",
    "Publication",
    "PublicationMetric",
    "PublicationState",
    "RiskFlag",
    "StepMode",
    "StepReminder",
    "Variant",
]
