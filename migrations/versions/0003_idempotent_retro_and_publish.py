"""idempotent retro saves and publishes: a stable key per action-items form row, the last
save's key, and publish marks set before each outbound post

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_key', sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_action_items_incident_id_form_key'), ['incident_id', 'form_key']
        )

    with op.batch_alter_table('retrospectives', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_save_key', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('document_pending_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('announcement_pending_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('summary_pending_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('retrospectives', schema=None) as batch_op:
        batch_op.drop_column('summary_pending_at')
        batch_op.drop_column('announcement_pending_at')
        batch_op.drop_column('document_pending_at')
        batch_op.drop_column('last_save_key')

    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_action_items_incident_id_form_key'), type_='unique')
        batch_op.drop_column('form_key')
