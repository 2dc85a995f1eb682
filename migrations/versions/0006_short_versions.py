"""short versions of texts (for a detainee's tablet)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("topic_texts", "topic_revisions"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("short", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in ("topic_revisions", "topic_texts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("short")
