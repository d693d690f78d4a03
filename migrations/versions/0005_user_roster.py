"""the workspace roster: when each team's member list (users.list) was last stored whole in
slack_users, so names known to the wording check are refilled once stale

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('slack_rosters',
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('filled_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id', name=op.f('pk_slack_rosters'))
    )


def downgrade() -> None:
    op.drop_table('slack_rosters')
