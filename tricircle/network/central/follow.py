"""How central tells the pods to follow a change: one queued job.

Every hook of the central plugins ends here, after Neutron committed the
change, so the job reads central as it is. Jobs coalesce per resource
(tricircle.db.jobs.register_job), so a burst of changes runs once; a job
that fails is retried by XJob until the pods have it.
"""

from oslo_log import log as logging

from tricircle.common import constants
from tricircle.db import api as db_api
from tricircle.db import jobs
from tricircle.xjob import rpc

LOG = logging.getLogger(__name__)

# Resource kind -> (routing type of its copies, job type that syncs them).
SYNCED = {
    'network': (constants.RT_NETWORK, constants.JOB_NETWORK_SYNC),
    'subnet': (constants.RT_SUBNET, constants.JOB_SUBNET_SYNC),
    'port': (constants.RT_PORT, constants.JOB_PORT_SYNC),
}


def queue(job_type, resource_id, project_id=None, why=''):
    job = jobs.register_job(None, job_type, resource_id, project_id)
    rpc.wake(job_type, resource_id)
    LOG.info('Queued %s job %s for %s%s', job_type, job['id'], resource_id,
             ' (%s)' % why if why else '')
    return job


def routed(resource_id, resource_type):
    """The routings of a resource: the pods holding a copy of it."""
    return db_api.list_routings(None, {'top_id': resource_id,
                                       'resource_type': resource_type})


def resource_changed(kind, resource_id, project_id, why):
    """Queue the sync job of a network, subnet or port if any pod holds a
    copy; one no pod holds needs none (a pod pulls it whole)."""
    resource_type, job_type = SYNCED[kind]
    copies = routed(resource_id, resource_type)
    if not copies:
        return None
    return queue(job_type, resource_id,
                 project_id or copies[0]['project_id'],
                 '%s %s' % (kind, why))
