"""search: alternative questions, moderators' synonyms, anonymous daily counts of unmatched terms and reads

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "topic_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_topic_questions_topic_id_topics"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_questions")),
        sa.UniqueConstraint("topic_id", "locale", "text", name=op.f("uq_topic_questions_topic_id")),
    )
    with op.batch_alter_table("topic_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_topic_questions_topic_id"), ["topic_id"], unique=False)
    op.create_table(
        "search_synonyms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_synonyms")),
    )
    op.create_table(
        "search_gaps",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("term", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "term", name=op.f("pk_search_gaps")),
    )
    op.create_table(
        "topic_reads",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "slug", name=op.f("pk_topic_reads")),
    )


def downgrade() -> None:
    op.drop_table("topic_reads")
    op.drop_table("search_gaps")
    op.drop_table("search_synonyms")
    with op.batch_alter_table("topic_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topic_questions_topic_id"))
    op.drop_table("topic_questions")
