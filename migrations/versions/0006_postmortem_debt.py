"""postmortem debt: the sweep's schedule and claim for chasing unwritten postmortems, and
"no postmortem needed" with its reason, on incidents

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('debt_next_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('debt_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('debt_nudges', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('debt_last_nudged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('debt_escalated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('debt_send_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('debt_claim', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('debt_claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('no_postmortem_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('no_postmortem_by', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('no_postmortem_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('no_postmortem_at')
        batch_op.drop_column('no_postmortem_by')
        batch_op.drop_column('no_postmortem_reason')
        batch_op.drop_column('debt_claimed_until')
        batch_op.drop_column('debt_claim')
        batch_op.drop_column('debt_send_failures')
        batch_op.drop_column('debt_escalated_at')
        batch_op.drop_column('debt_last_nudged_at')
        batch_op.drop_column('debt_nudges')
        batch_op.drop_column('debt_due_at')
        batch_op.drop_column('debt_next_at')
