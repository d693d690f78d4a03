"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('severity', sa.Enum('SEV1', 'SEV2', 'SEV3', 'SEV4', name='severity', native_enum=False, length=24), nullable=False),
    sa.Column('status', sa.Enum('investigating', 'identified', 'monitoring', 'resolved', 'closed', name='incidentstatus', native_enum=False, length=24), nullable=False),
    sa.Column('postmortem_state', sa.Enum('none', 'draft', 'in_review', 'published', name='postmortemstate', native_enum=False, length=24), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=True),
    sa.Column('header_ts', sa.String(length=32), nullable=True),
    sa.Column('declared_by', sa.String(length=32), nullable=False),
    sa.Column('commander_id', sa.String(length=32), nullable=True),
    sa.Column('facilitator_id', sa.String(length=32), nullable=True),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('mitigated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('team_id', 'channel_id', name=op.f('uq_incidents_team_id_channel_id')),
    sa.UniqueConstraint('team_id', 'number', name=op.f('uq_incidents_team_id_number'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_team_id'), ['team_id'], unique=False)

    op.create_table('processed_events',
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id', 'event_id', name=op.f('pk_processed_events'))
    )
    with op.batch_alter_table('processed_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_events_received_at'), ['received_at'], unique=False)

    op.create_table('slack_users',
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('real_name', sa.String(length=200), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('tz', sa.String(length=64), nullable=True),
    sa.Column('tz_offset', sa.Integer(), nullable=True),
    sa.Column('is_bot', sa.Boolean(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_slack_users'))
    )
    op.create_table('action_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('owner_id', sa.String(length=32), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('priority', sa.Enum('high', 'medium', 'low', name='priority', native_enum=False, length=24), nullable=False),
    sa.Column('kind', sa.Enum('prevent', 'detect', 'mitigate', 'process', name='actionkind', native_enum=False, length=24), nullable=False),
    sa.Column('status', sa.Enum('open', 'done', 'wont_do', name='actionstatus', native_enum=False, length=24), nullable=False),
    sa.Column('wont_do_reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('source_channel_id', sa.String(length=32), nullable=True),
    sa.Column('source_ts', sa.String(length=32), nullable=True),
    sa.Column('external_link', sa.String(length=1000), nullable=True),
    sa.Column('next_reminder_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminder_count', sa.Integer(), nullable=False),
    sa.Column('overdue_nudges', sa.Integer(), nullable=False),
    sa.Column('snoozed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=32), nullable=True),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_action_items_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_items'))
    )
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.create_index('ix_action_items_due', ['status', 'next_reminder_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_items_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index('ix_action_items_owner', ['team_id', 'owner_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_items_team_id'), ['team_id'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.String(length=32), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_audit_log_incident_id_incidents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_team_id'), ['team_id'], unique=False)

    op.create_table('retrospectives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('customer_impact', sa.Text(), nullable=False),
    sa.Column('duration', sa.String(length=200), nullable=False),
    sa.Column('detection', sa.Text(), nullable=False),
    sa.Column('went_well', sa.Text(), nullable=False),
    sa.Column('went_badly', sa.Text(), nullable=False),
    sa.Column('got_lucky', sa.Text(), nullable=False),
    sa.Column('completed_steps', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('last_edited_by', sa.String(length=32), nullable=True),
    sa.Column('last_edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by', sa.String(length=32), nullable=True),
    sa.Column('summary_channel_id', sa.String(length=32), nullable=True),
    sa.Column('summary_ts', sa.String(length=32), nullable=True),
    sa.Column('announcement_ts', sa.String(length=32), nullable=True),
    sa.Column('document_ref', sa.String(length=200), nullable=True),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_retrospectives_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retrospectives')),
    sa.UniqueConstraint('incident_id', name=op.f('uq_retrospectives_incident_id'))
    )
    with op.batch_alter_table('retrospectives', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retrospectives_team_id'), ['team_id'], unique=False)

    op.create_table('timeline_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('message', 'manual', 'system', name='eventsource', native_enum=False, length=24), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=True),
    sa.Column('ts', sa.String(length=32), nullable=True),
    sa.Column('thread_ts', sa.String(length=32), nullable=True),
    sa.Column('author_id', sa.String(length=32), nullable=True),
    sa.Column('author_name', sa.String(length=200), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_timeline_events_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timeline_events')),
    sa.UniqueConstraint('team_id', 'channel_id', 'ts', name=op.f('uq_timeline_events_team_id_channel_id_ts'))
    )
    with op.batch_alter_table('timeline_events', schema=None) as batch_op:
        batch_op.create_index('ix_timeline_events_incident_occurred', ['incident_id', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_timeline_events_team_id'), ['team_id'], unique=False)

    op.create_table('contributing_factors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('retrospective_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('code_change', 'configuration', 'capacity', 'dependency', 'monitoring_gap', 'process', 'communication', 'external', name='factorcategory', native_enum=False, length=24), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('whys', sa.JSON(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['retrospective_id'], ['retrospectives.id'], name=op.f('fk_contributing_factors_retrospective_id_retrospectives'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contributing_factors'))
    )
    with op.batch_alter_table('contributing_factors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contributing_factors_retrospective_id'), ['retrospective_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contributing_factors_team_id'), ['team_id'], unique=False)

    op.create_table('reminder_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_item_id', sa.Integer(), nullable=True),
    sa.Column('recipient_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('assigned', 'reminder', 'escalation', 'digest', name='deliverykind', native_enum=False, length=24), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['action_item_id'], ['action_items.id'], name=op.f('fk_reminder_deliveries_action_item_id_action_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_deliveries'))
    )
    with op.batch_alter_table('reminder_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_deliveries_action_item_id'), ['action_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_deliveries_team_id'), ['team_id'], unique=False)

    op.create_table('timeline_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('reaction', sa.String(length=100), nullable=False),
    sa.Column('marked_by', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['timeline_events.id'], name=op.f('fk_timeline_marks_event_id_timeline_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timeline_marks')),
    sa.UniqueConstraint('event_id', 'marked_by', 'reaction', name=op.f('uq_timeline_marks_event_id_marked_by_reaction'))
    )
    with op.batch_alter_table('timeline_marks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timeline_marks_team_id'), ['team_id'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('timeline_marks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timeline_marks_team_id'))

    op.drop_table('timeline_marks')
    with op.batch_alter_table('reminder_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_deliveries_team_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_deliveries_action_item_id'))

    op.drop_table('reminder_deliveries')
    with op.batch_alter_table('contributing_factors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contributing_factors_team_id'))
        batch_op.drop_index(batch_op.f('ix_contributing_factors_retrospective_id'))

    op.drop_table('contributing_factors')
    with op.batch_alter_table('timeline_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timeline_events_team_id'))
        batch_op.drop_index('ix_timeline_events_incident_occurred')

    op.drop_table('timeline_events')
    with op.batch_alter_table('retrospectives', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retrospectives_team_id'))

    op.drop_table('retrospectives')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_team_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_incident_id'))

    op.drop_table('audit_log')
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_items_team_id'))
        batch_op.drop_index('ix_action_items_owner')
        batch_op.drop_index(batch_op.f('ix_action_items_incident_id'))
        batch_op.drop_index('ix_action_items_due')

    op.drop_table('action_items')
    op.drop_table('slack_users')
    with op.batch_alter_table('processed_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_events_received_at'))

    op.drop_table('processed_events')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_team_id'))

    op.drop_table('incidents')
    
