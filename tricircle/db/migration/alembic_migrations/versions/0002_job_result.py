"""Jobs keep a result: what their last successful run found (JSON text).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'


def upgrade():
    op.add_column('async_jobs', sa.Column('result', sa.Text, nullable=True))
