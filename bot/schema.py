"""Every table the bot stores, registered on ``Base.metadata`` (for Alembic, and for /delete_me's walk).

Feature models import ``User`` from ``bot.models``; this module imports the features, never the other way round.
"""

from bot.db import Base
from bot.helpdesk.models import Asker, Ban, DeskDelivery, DeskMessage, Ticket
from bot.knowledge.models import ContentState, Topic, TopicRevision, TopicText
from bot.knowledge.questions import TopicQuestion
from bot.models import User
from bot.moderation.models import AuditEntry, Broadcast, Delivery, Moderator
from bot.persistence import FormDraft, FormState
from bot.reminders.models import Reminder, Subscription
from bot.search.models import SearchGap, SearchSynonym, TopicRead

__all__ = [
    "Asker",
    "AuditEntry",
    "Ban",
    "Base",
    "Broadcast",
    "ContentState",
    "Delivery",
    "DeskDelivery",
    "DeskMessage",
    "FormDraft",
    "FormState",
    "Moderator",
    "Reminder",
    "SearchGap",
    "SearchSynonym",
    "Subscription",
    "Ticket",
    "Topic",
    "TopicQuestion",
    "TopicRead",
    "TopicRevision",
    "TopicText",
    "User",
]
