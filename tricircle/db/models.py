"""Tables of the Tricircle DB.

Alembic migrations under ``migration/`` create exactly these; a test compares
the two so that neither drifts.
"""

import sqlalchemy as sa
from oslo_utils import timeutils
from sqlalchemy.dialects import mysql

from tricircle.db.core import BASE

# MySQL/MariaDB DATETIME keeps whole seconds unless told otherwise; keep
# microseconds there too, as SQLite and PostgreSQL do.
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                      'mariadb')


class Pod(BASE):
    """One region Tricircle manages; the row without az_name is central."""

    __tablename__ = 'pods'

    pod_id = sa.Column(sa.String(36), primary_key=True)
    region_name = sa.Column(sa.String(255), nullable=False, unique=True)
    az_name = sa.Column(sa.String(255), nullable=True)
    pod_az_name = sa.Column(sa.String(255), nullable=True)
    dc_name = sa.Column(sa.String(255), nullable=True)

    def to_dict(self):
        return {'pod_id': self.pod_id, 'region_name': self.region_name,
                'az_name': self.az_name or '',
                'pod_az_name': self.pod_az_name or '',
                'dc_name': self.dc_name or ''}


class ResourceRouting(BASE):
    """Where a top (central) resource has been materialised."""

    __tablename__ = 'resource_routings'
    __table_args__ = (
        sa.UniqueConstraint('top_id', 'pod_id', 'resource_type',
                            name='uniq_routings0top_id0pod_id0resource_type'),
    )

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                   primary_key=True, autoincrement=True)
    top_id = sa.Column(sa.String(127), nullable=False, index=True)
    bottom_id = sa.Column(sa.String(36), nullable=True, index=True)
    pod_id = sa.Column(sa.String(36), sa.ForeignKey('pods.pod_id'),
                       nullable=False)
    project_id = sa.Column(sa.String(255), nullable=True, index=True)
    resource_type = sa.Column(sa.String(64), nullable=False)
    created_at = sa.Column(DateTime, nullable=False,
                           default=timeutils.utcnow)
    updated_at = sa.Column(DateTime, nullable=True,
                           onupdate=timeutils.utcnow)

    def to_dict(self):
        return {'id': self.id, 'top_id': self.top_id,
                'bottom_id': self.bottom_id, 'pod_id': self.pod_id,
                'project_id': self.project_id,
                'resource_type': self.resource_type,
                'created_at': _iso(self.created_at),
                'updated_at': _iso(self.updated_at)}


class PodBinding(BASE):
    """The one pod of an availability zone that receives a project's new
    servers and volumes there, so that they land together.

    The unique (project_id, az_name) key is what makes two concurrent
    first boots of a project agree on the pod. az_name is copied from the
    pod at bind time so that the key needs no join.
    """

    __tablename__ = 'pod_bindings'
    __table_args__ = (
        sa.UniqueConstraint('project_id', 'az_name',
                            name='uniq_pod_bindings0project_id0az_name'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    project_id = sa.Column(sa.String(255), nullable=False)
    az_name = sa.Column(sa.String(255), nullable=False)
    pod_id = sa.Column(sa.String(36), sa.ForeignKey('pods.pod_id'),
                       nullable=False, index=True)
    created_at = sa.Column(DateTime, nullable=False,
                           default=timeutils.utcnow)
    updated_at = sa.Column(DateTime, nullable=True,
                           onupdate=timeutils.utcnow)

    def to_dict(self):
        return {'id': self.id, 'project_id': self.project_id,
                'az_name': self.az_name, 'pod_id': self.pod_id,
                'created_at': _iso(self.created_at),
                'updated_at': _iso(self.updated_at)}


class AsyncJob(BASE):
    """A unit of cross-pod work, leased by one XJob worker at a time."""

    __tablename__ = 'async_jobs'
    __table_args__ = (
        sa.Index('ix_async_jobs_status_next', 'status', 'next_attempt_at'),
        sa.Index('ix_async_jobs_type_resource', 'type', 'resource_id'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    type = sa.Column(sa.String(64), nullable=False)
    resource_id = sa.Column(sa.String(127), nullable=False)
    project_id = sa.Column(sa.String(255), nullable=True, index=True)
    status = sa.Column(sa.String(16), nullable=False)
    extra = sa.Column(sa.Text, nullable=True)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    lease_owner = sa.Column(sa.String(255), nullable=True)
    lease_expires_at = sa.Column(DateTime, nullable=True)
    next_attempt_at = sa.Column(DateTime, nullable=True)
    last_error = sa.Column(sa.Text, nullable=True)
    created_at = sa.Column(DateTime, nullable=False,
                           default=timeutils.utcnow)
    updated_at = sa.Column(DateTime, nullable=True,
                           onupdate=timeutils.utcnow)
    # JSON text: what the last successful run found (tricircle.db.job_rows
    # encodes and caps it).
    result = sa.Column(sa.Text, nullable=True)


class AsyncJobLog(BASE):
    """History of finished job runs, kept for operators."""

    __tablename__ = 'async_job_logs'

    id = sa.Column(sa.String(36), primary_key=True)
    job_id = sa.Column(sa.String(36), nullable=False, index=True)
    type = sa.Column(sa.String(64), nullable=False)
    resource_id = sa.Column(sa.String(127), nullable=False)
    project_id = sa.Column(sa.String(255), nullable=True)
    status = sa.Column(sa.String(16), nullable=False)
    message = sa.Column(sa.Text, nullable=True)
    timestamp = sa.Column(DateTime, nullable=False,
                          default=timeutils.utcnow)


def _iso(value):
    return value.isoformat() if value else None
