"""help desk: tickets, the ticket → person link, texts, deliveries to the person, bans

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-10 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def _outbox_columns() -> list[sa.Column]:
    return [
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "desk_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("suggested", sa.JSON(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("root_message_id", sa.BigInteger(), nullable=True),
        sa.Column("topic_closed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("scrubbed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("purged", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("helped", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bumped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_answer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_answer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_tickets")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_desk_tickets_status", "desk_tickets", ["status"], unique=False)
    op.create_table(
        "desk_askers",
        sa.Column("ticket_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["desk_tickets.id"], ondelete="CASCADE",
                                name=op.f("fk_desk_askers_ticket_id_desk_tickets")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_desk_askers_user_id_users")),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_desk_askers")),
    )
    op.create_index(op.f("ix_desk_askers_user_id"), "desk_askers", ["user_id"], unique=False)
    op.create_table(
        "desk_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("group_message_id", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=True),
        sa.Column("acknowledged", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["desk_tickets.id"], ondelete="CASCADE",
                                name=op.f("fk_desk_messages_ticket_id_desk_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_messages")),
    )
    op.create_index(op.f("ix_desk_messages_ticket_id"), "desk_messages", ["ticket_id"], unique=False)
    op.create_table(
        "desk_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        *_outbox_columns(),
        sa.ForeignKeyConstraint(["message_id"], ["desk_messages.id"], ondelete="CASCADE",
                                name=op.f("fk_desk_deliveries_message_id_desk_messages")),
        sa.ForeignKeyConstraint(["ticket_id"], ["desk_tickets.id"], ondelete="CASCADE",
                                name=op.f("fk_desk_deliveries_ticket_id_desk_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_deliveries")),
    )
    op.create_index(op.f("ix_desk_deliveries_user_id"), "desk_deliveries", ["user_id"], unique=False)
    op.create_index("ix_desk_deliveries_status_due_at", "desk_deliveries", ["status", "due_at"], unique=False)
    op.create_table(
        "desk_bans",
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("banned_by", sa.BigInteger(), nullable=False),
        sa.Column("banned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_key", name=op.f("pk_desk_bans")),
    )
    op.create_index(op.f("ix_desk_bans_ticket_id"), "desk_bans", ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_desk_bans_ticket_id"), table_name="desk_bans")
    op.drop_table("desk_bans")
    op.drop_index("ix_desk_deliveries_status_due_at", table_name="desk_deliveries")
    op.drop_index(op.f("ix_desk_deliveries_user_id"), table_name="desk_deliveries")
    op.drop_table("desk_deliveries")
    op.drop_index(op.f("ix_desk_messages_ticket_id"), table_name="desk_messages")
    op.drop_table("desk_messages")
    op.drop_index(op.f("ix_desk_askers_user_id"), table_name="desk_askers")
    op.drop_table("desk_askers")
    op.drop_index("ix_desk_tickets_status", table_name="desk_tickets")
    op.drop_table("desk_tickets")
