"""Tenant-pod bindings: the pod of each AZ a project's servers and volumes
go to, for the API gateway.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0003'
down_revision = '0002'

# Microseconds on MySQL/MariaDB too, as in 0001.
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                      'mariadb')


def upgrade():
    op.create_table(
        'pod_bindings',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('az_name', sa.String(255), nullable=False),
        sa.Column('pod_id', sa.String(36), sa.ForeignKey('pods.pod_id'),
                  nullable=False),
        sa.Column('created_at', DateTime, nullable=False),
        sa.Column('updated_at', DateTime, nullable=True),
        sa.UniqueConstraint('project_id', 'az_name',
                            name='uniq_pod_bindings0project_id0az_name'),
    )
    op.create_index('ix_pod_bindings_pod_id', 'pod_bindings', ['pod_id'])
