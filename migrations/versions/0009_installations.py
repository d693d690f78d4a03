"""installations for many workspaces

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('slack_installations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('app_id', sa.String(length=32), nullable=True),
    sa.Column('enterprise_id', sa.String(length=32), nullable=True),
    sa.Column('enterprise_name', sa.String(length=200), nullable=True),
    sa.Column('enterprise_url', sa.String(length=200), nullable=True),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('team_name', sa.String(length=200), nullable=True),
    sa.Column('is_enterprise_install', sa.Boolean(), nullable=False),
    sa.Column('token_type', sa.String(length=32), nullable=True),
    sa.Column('bot_id', sa.String(length=32), nullable=True),
    sa.Column('bot_user_id', sa.String(length=32), nullable=True),
    sa.Column('bot_scopes', sa.Text(), nullable=False),
    sa.Column('bot_token', sa.Text(), nullable=True),
    sa.Column('bot_refresh_token', sa.Text(), nullable=True),
    sa.Column('bot_token_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('user_scopes', sa.Text(), nullable=False),
    sa.Column('user_token', sa.Text(), nullable=True),
    sa.Column('user_refresh_token', sa.Text(), nullable=True),
    sa.Column('user_token_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('installed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slack_installations'))
    )
    with op.batch_alter_table('slack_installations', schema=None) as batch_op:
        batch_op.create_index('ix_slack_installations_lookup', ['enterprise_id', 'team_id', 'installed_at'], unique=False)

    op.create_table('slack_oauth_states',
    sa.Column('state', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('state', name=op.f('pk_slack_oauth_states'))
    )
    with op.batch_alter_table('slack_oauth_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slack_oauth_states_expires_at'), ['expires_at'], unique=False)

    op.create_table('slack_teams',
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('installed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uninstalled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('team_id', name=op.f('pk_slack_teams'))
    )
    with op.batch_alter_table('slack_teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slack_teams_uninstalled_at'), ['uninstalled_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('slack_teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slack_teams_uninstalled_at'))

    op.drop_table('slack_teams')
    with op.batch_alter_table('slack_oauth_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slack_oauth_states_expires_at'))

    op.drop_table('slack_oauth_states')
    with op.batch_alter_table('slack_installations', schema=None) as batch_op:
        batch_op.drop_index('ix_slack_installations_lookup')

    op.drop_table('slack_installations')
