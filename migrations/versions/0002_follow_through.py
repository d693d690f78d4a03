"""follow-through: reminder claims and send failures on action items, weekly digests,
and the author index App Home needs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('digest_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_posts')),
    sa.UniqueConstraint('team_id', 'period', name=op.f('uq_digest_posts_team_id_period'))
    )
    with op.batch_alter_table('digest_posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_posts_team_id'), ['team_id'], unique=False)

    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_claim', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('send_failures', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('timeline_events', schema=None) as batch_op:
        batch_op.create_index('ix_timeline_events_author', ['team_id', 'author_id', 'incident_id'], unique=False)

    schedule_existing_items()


# Items made before reminders existed get what new ones get: a due date when they have none
# (the default days per priority, from the day they were made) and a reminder that is due now.
# The first sweep then works out, in each owner's working hours, whether to nudge them at once
# or when to.
DAYS = "CASE priority WHEN 'high' THEN 3 WHEN 'low' THEN 14 ELSE 7 END"


def schedule_existing_items() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        due = f"CAST(created_at AT TIME ZONE 'UTC' AS DATE) + {DAYS}"
        now = 'now()'
    else:  # SQLite keeps UTC datetimes as naive text
        due = f"date(created_at, '+' || ({DAYS}) || ' days')"
        now = "strftime('%Y-%m-%d %H:%M:%S.000000', 'now')"
    op.execute(f"UPDATE action_items SET due_date = {due} WHERE due_date IS NULL")
    op.execute(
        f"UPDATE action_items SET next_reminder_at = {now} "
        "WHERE status = 'open' AND owner_id IS NOT NULL AND next_reminder_at IS NULL"
    )



def downgrade() -> None:
    with op.batch_alter_table('timeline_events', schema=None) as batch_op:
        batch_op.drop_index('ix_timeline_events_author')

    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_column('send_failures')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('reminder_claim')

    with op.batch_alter_table('digest_posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_posts_team_id'))

    op.drop_table('digest_posts')
