"""trackers: action items gain their issue in the team's tracker (GitHub Issues or Jira), the
outbox of intents for trackers, and people's Slack e-mail (how an owner maps to a tracker user)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tracker_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("tracker_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("tracker_url", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("tracker_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("tracker_error", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("tracker_synced_at", sa.DateTime(timezone=True), nullable=True)
        )
        # A unique index, not a constraint: SQLite adds it without rebuilding the table, which
        # would drop the search index's triggers and view on action_items.
        batch_op.create_index(
            "ix_action_items_tracker_key", ["tracker_kind", "tracker_key"], unique=True
        )
    with op.batch_alter_table("slack_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=True))
    op.create_table(
        "tracker_intents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim", sa.String(length=36), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_item_id"],
            ["action_items.id"],
            name=op.f("fk_tracker_intents_action_item_id_action_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_intents")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_tracker_intents_idempotency_key")),
    )
    with op.batch_alter_table("tracker_intents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tracker_intents_action_item_id"), ["action_item_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tracker_intents_team_id"), ["team_id"], unique=False)
        batch_op.create_index("ix_tracker_intents_due", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tracker_intents", schema=None) as batch_op:
        batch_op.drop_index("ix_tracker_intents_due")
        batch_op.drop_index(batch_op.f("ix_tracker_intents_team_id"))
        batch_op.drop_index(batch_op.f("ix_tracker_intents_action_item_id"))
    op.drop_table("tracker_intents")
    op.drop_column("slack_users", "email")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch would rebuild action_items and
    # lose the search index's triggers and view on it.
    op.drop_index("ix_action_items_tracker_key", table_name="action_items")
    for column in (
        "tracker_synced_at",
        "tracker_error",
        "tracker_state",
        "tracker_url",
        "tracker_key",
        "tracker_kind",
    ):
        op.drop_column("action_items", column)
