"""refusals counted per person and day; why a subscription is paused

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("count", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_by", sa.String(length=16), nullable=True))
    # Subscriptions already paused: those of people who block the bot were paused by the block; the rest by hand.
    op.execute("UPDATE subscriptions SET paused_by = CASE WHEN user_id IN (SELECT id FROM users WHERE blocked) "
               "THEN 'blocked' ELSE 'person' END WHERE status = 'paused'")


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("paused_by")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("count")
