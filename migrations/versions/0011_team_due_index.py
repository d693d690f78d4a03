"""one team's due action items: with many workspaces each team's reminder sweep claims its own
items, and this index keeps it from reading the due items of every other team (an uninstalled
team's stay due until they are purged)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.create_index(
            'ix_action_items_team_due', ['team_id', 'status', 'next_reminder_at'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_index('ix_action_items_team_due')
