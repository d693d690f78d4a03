"""durable "assigned" DMs: the owner's notice is due until Slack took it

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('notice_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('notice_from', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_action_items_notice_due', ['notice_due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_index('ix_action_items_notice_due')
        batch_op.drop_column('notice_from')
        batch_op.drop_column('notice_failures')
        batch_op.drop_column('notice_due_at')
