"""Initial Tricircle schema: pods, routings, jobs and job logs.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0001'
down_revision = None

# Microseconds on MySQL/MariaDB too (their DATETIME keeps whole seconds).
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                      'mariadb')


def upgrade():
    op.create_table(
        'pods',
        sa.Column('pod_id', sa.String(36), primary_key=True),
        sa.Column('region_name', sa.String(255), nullable=False),
        sa.Column('az_name', sa.String(255), nullable=True),
        sa.Column('pod_az_name', sa.String(255), nullable=True),
        sa.Column('dc_name', sa.String(255), nullable=True),
        sa.UniqueConstraint('region_name'),
    )
    op.create_table(
        'resource_routings',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                  primary_key=True, autoincrement=True),
        sa.Column('top_id', sa.String(127), nullable=False),
        sa.Column('bottom_id', sa.String(36), nullable=True),
        sa.Column('pod_id', sa.String(36), sa.ForeignKey('pods.pod_id'),
                  nullable=False),
        sa.Column('project_id', sa.String(255), nullable=True),
        sa.Column('resource_type', sa.String(64), nullable=False),
        sa.Column('created_at', DateTime, nullable=False),
        sa.Column('updated_at', DateTime, nullable=True),
        sa.UniqueConstraint('top_id', 'pod_id', 'resource_type',
                            name='uniq_routings0top_id0pod_id0resource_type'),
    )
    op.create_index('ix_resource_routings_top_id', 'resource_routings',
                    ['top_id'])
    op.create_index('ix_resource_routings_bottom_id', 'resource_routings',
                    ['bottom_id'])
    op.create_index('ix_resource_routings_project_id', 'resource_routings',
                    ['project_id'])
    op.create_table(
        'async_jobs',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('type', sa.String(64), nullable=False),
        sa.Column('resource_id', sa.String(127), nullable=False),
        sa.Column('project_id', sa.String(255), nullable=True),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('extra', sa.Text, nullable=True),
        sa.Column('attempts', sa.Integer, nullable=False),
        sa.Column('lease_owner', sa.String(255), nullable=True),
        sa.Column('lease_expires_at', DateTime, nullable=True),
        sa.Column('next_attempt_at', DateTime, nullable=True),
        sa.Column('last_error', sa.Text, nullable=True),
        sa.Column('created_at', DateTime, nullable=False),
        sa.Column('updated_at', DateTime, nullable=True),
    )
    op.create_index('ix_async_jobs_project_id', 'async_jobs', ['project_id'])
    op.create_index('ix_async_jobs_status_next', 'async_jobs',
                    ['status', 'next_attempt_at'])
    op.create_index('ix_async_jobs_type_resource', 'async_jobs',
                    ['type', 'resource_id'])
    op.create_table(
        'async_job_logs',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('job_id', sa.String(36), nullable=False),
        sa.Column('type', sa.String(64), nullable=False),
        sa.Column('resource_id', sa.String(127), nullable=False),
        sa.Column('project_id', sa.String(255), nullable=True),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('message', sa.Text, nullable=True),
        sa.Column('timestamp', DateTime, nullable=False),
    )
    op.create_index('ix_async_job_logs_job_id', 'async_job_logs', ['job_id'])
