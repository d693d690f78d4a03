"""backfill runs kept in the database: cursor, thread queue, lease, progress

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('backfill_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('bot_user_id', sa.String(length=32), nullable=True),
    sa.Column('bot_id', sa.String(length=32), nullable=True),
    sa.Column('history_cursor', sa.Text(), nullable=True),
    sa.Column('history_done', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('channel_created', sa.Integer(), nullable=True),
    sa.Column('newest_ts', sa.String(length=32), nullable=True),
    sa.Column('oldest_ts', sa.String(length=32), nullable=True),
    sa.Column('read_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('history_read', sa.Integer(), server_default='0', nullable=False),
    sa.Column('replies_expected', sa.Integer(), server_default='0', nullable=False),
    sa.Column('stored_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('calls', sa.Integer(), server_default='0', nullable=False),
    sa.Column('progress_ts', sa.String(length=32), nullable=True),
    sa.Column('lease_owner', sa.String(length=36), nullable=True),
    sa.Column('leased_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_backfill_runs_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backfill_runs'))
    )
    with op.batch_alter_table('backfill_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_backfill_runs_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_backfill_runs_team_id'), ['team_id'], unique=False)
        batch_op.create_index('ix_backfill_runs_unfinished', ['finished_at', 'leased_until'], unique=False)

    op.create_table('backfill_threads',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('thread_ts', sa.String(length=32), nullable=False),
    sa.Column('reply_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cursor', sa.Text(), nullable=True),
    sa.Column('done', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['backfill_runs.id'], name=op.f('fk_backfill_threads_run_id_backfill_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backfill_threads')),
    sa.UniqueConstraint('run_id', 'thread_ts', name=op.f('uq_backfill_threads_run_id_thread_ts'))
    )
    with op.batch_alter_table('backfill_threads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_backfill_threads_team_id'), ['team_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('backfill_threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_backfill_threads_team_id'))

    op.drop_table('backfill_threads')
    with op.batch_alter_table('backfill_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_backfill_runs_unfinished')
        batch_op.drop_index(batch_op.f('ix_backfill_runs_team_id'))
        batch_op.drop_index(batch_op.f('ix_backfill_runs_incident_id'))

    op.drop_table('backfill_runs')
