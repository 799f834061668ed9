"""``tricircle-status upgrade check``: is this deployment ready to upgrade?

Reads tricircle.conf like tricircle-xjob (``[database]`` for the Tricircle
DB, ``[client]`` for the regions, ``[xjob] lease_seconds``) and runs:

- **Database schema**: the Tricircle DB is at the alembic head of this
  code (else: ``tricircle-db-manage upgrade``).
- **Neutron plugins**: the central Neutron and every registered pod's
  Neutron answer, central runs the Tricircle central plugin and each pod
  the local plugin. Neither plugin adds an API extension of its own, so
  the check looks at what only they do:

  * central's ``GET /v2.0/availability_zones`` lists, for networks, exactly
    the ``az_name`` of the pods registered in the Tricircle DB (the central
    plugin makes its zones from the pods). A plain ML2 lists the zones of
    its DHCP agents; it passes only if its agents were put in zones named
    exactly like every pod's AZ (and none other). With no pod carrying an
    ``az_name`` there is nothing to compare: a warning.
  * in each pod, a project's ``default`` security group *is* central's
    (same id, pulled by the local plugin). The check lists central's
    default groups, then the pod's, and wants at least one id in both. A
    plain ML2 makes its own default group under a random UUID, so its ids
    never match central's. Side effect of the listing (Neutron's own,
    with any plugin): the calling project gets its default group, in
    central and in the pod, if it had none yet.
- **Stuck jobs**: no job is RUNNING with a lease that expired more than one
  ``[xjob] lease_seconds`` ago (a live tricircle-xjob would have taken it
  over by then: the jobs have no worker left).

Exit status (oslo.upgradecheck): 0 success, 1 warning, 2 failure, 255 the
check itself crashed.
"""

import datetime
import sys

from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ks_exc
from oslo_config import cfg
from oslo_upgradecheck import upgradecheck
from oslo_utils import timeutils
import sqlalchemy as sa

from tricircle.common import client
from tricircle.common import config
from tricircle.common import constants
from tricircle.db import migration
from tricircle.db import models
from tricircle.xjob import opts as xjob_opts

Code = upgradecheck.Code
Result = upgradecheck.Result

# Shown when the check cannot tell (warning) or finds a problem (failure).
_DB_FIX = 'run tricircle-db-manage --config-file <tricircle.conf> upgrade'


def _engine(conf):
    return sa.create_engine(conf.database.connection)


def _rows(conf, query):
    engine = _engine(conf)
    try:
        with engine.connect() as conn:
            return conn.execute(query).mappings().all()
    finally:
        engine.dispose()


class _Neutron:
    """GETs on one region's Neutron, errors as text."""

    def __init__(self, conf, region_name):
        self.region_name = region_name
        self.url = client.network_endpoint(region_name, conf)
        self._api = adapter.Adapter(
            client.get_session(conf), endpoint_override=self.url.rstrip('/'))
        self._timeout = conf.client.timeout

    def get(self, path):
        """The JSON body of ``GET /v2.0<path>``; RuntimeError with a
        readable reason when the server does not answer 200."""
        try:
            resp = self._api.get('/v2.0' + path, raise_exc=False,
                                 timeout=self._timeout)
        except ks_exc.ClientException as e:
            raise RuntimeError('%s (%s) does not answer: %s'
                               % (self.region_name, self.url, e))
        if resp.status_code != 200:
            raise RuntimeError('%s (%s) answered %d to GET /v2.0%s: %s'
                               % (self.region_name, self.url,
                                  resp.status_code, path, resp.text[:200]))
        return resp.json()


class Checks(upgradecheck.UpgradeCommands):

    def __init__(self, conf=cfg.CONF):
        self.conf = conf

    def _check_schema(self):
        url = self.conf.database.connection
        try:
            current = migration.current(url)
        except Exception as e:
            return Result(Code.FAILURE, 'Tricircle DB not readable: %s' % e)
        heads = migration.heads(url)
        if current is None:
            return Result(Code.FAILURE, 'The Tricircle DB is empty (no '
                          'alembic revision); %s.' % _DB_FIX)
        if current not in heads:
            return Result(Code.FAILURE, 'The Tricircle DB is at revision %s, '
                          'this code needs %s; %s.' % (
                              current, ', '.join(heads), _DB_FIX))
        return Result(Code.SUCCESS, 'At revision %s (head).' % current)

    def _check_plugins(self):
        pods = models.Pod.__table__
        try:
            rows = _rows(self.conf, sa.select(pods.c.region_name,
                                              pods.c.az_name))
        except Exception as e:
            return Result(Code.FAILURE, 'Pods not readable from the '
                          'Tricircle DB: %s' % e)
        central_name = self.conf.client.central_region_name
        local = sorted((r for r in rows if r['region_name'] != central_name),
                       key=lambda r: r['region_name'])
        failures, warnings, ok = [], [], []
        central_sgs = None
        try:
            central = _Neutron(self.conf, central_name)
            zones = {z['name'] for z in central.get(
                '/availability_zones')['availability_zones']
                if z.get('resource') == 'network'}
            pod_zones = {r['az_name'] for r in local if r['az_name']}
            if not pod_zones:
                warnings.append('%s: no pod has an az_name, so its central '
                                'plugin cannot be told from a plain ML2'
                                % central_name)
            elif zones != pod_zones:
                failures.append(
                    '%s does not run the Tricircle central plugin: its '
                    'network availability zones are [%s], the registered '
                    'pods\' are [%s]' % (central_name,
                                         ', '.join(sorted(zones)),
                                         ', '.join(sorted(pod_zones))))
            else:
                ok.append(central_name)
            central_sgs = _default_sgs(central)
        except Exception as e:
            failures.append(str(e))
        if not local:
            warnings.append('no pod is registered in the Admin API')
        for row in local:
            name = row['region_name']
            try:
                sgs = _default_sgs(_Neutron(self.conf, name))
            except Exception as e:
                failures.append(str(e))
                continue
            if central_sgs is None:
                warnings.append('%s answers; its plugin is not checked '
                                'without central' % name)
            elif not sgs & central_sgs:
                failures.append(
                    '%s does not run the Tricircle local plugin: none of '
                    'its default security groups is central\'s' % name)
            else:
                ok.append(name)
        details = failures + warnings
        if ok:
            details.append('OK: %s.' % ', '.join(ok))
        code = (Code.FAILURE if failures else
                Code.WARNING if warnings else Code.SUCCESS)
        return Result(code, '; '.join(details))

    def _check_jobs(self):
        jobs = models.AsyncJob.__table__
        grace = datetime.timedelta(seconds=self.conf.xjob.lease_seconds)
        limit = timeutils.utcnow() - grace
        try:
            stuck = _rows(self.conf, sa.select(
                jobs.c.id, jobs.c.type, jobs.c.resource_id,
                jobs.c.lease_owner, jobs.c.lease_expires_at).where(
                jobs.c.status == constants.JS_RUNNING,
                sa.or_(jobs.c.lease_expires_at.is_(None),
                       jobs.c.lease_expires_at < limit)).order_by(
                jobs.c.lease_expires_at, jobs.c.id))
        except Exception as e:
            return Result(Code.FAILURE, 'Jobs not readable from the '
                          'Tricircle DB: %s' % e)
        if not stuck:
            return Result(Code.SUCCESS, 'No job stuck in RUNNING.')
        listed = ', '.join(
            '%s (%s %s, worker %s, lease expired %s)' % (
                j['id'], j['type'], j['resource_id'], j['lease_owner'],
                j['lease_expires_at'].isoformat()
                if j['lease_expires_at'] else 'never set')
            for j in stuck[:10])
        more = ' and %d more' % (len(stuck) - 10) if len(stuck) > 10 else ''
        return Result(Code.FAILURE, (
            '%d job(s) RUNNING past their lease: %s%s. No tricircle-xjob '
            'took them over: start one (it resumes them) and let them '
            'finish before the upgrade.' % (len(stuck), listed, more)))

    _upgrade_checks = (
        ('Database schema', _check_schema),
        ('Neutron plugins', _check_plugins),
        ('Stuck jobs', _check_jobs),
    )


def _default_sgs(neutron):
    return {sg['id'] for sg in neutron.get(
        '/security-groups?name=default&fields=id')['security_groups']}


def main(argv=None):
    conf = cfg.CONF
    config.register_opts(conf)
    xjob_opts.register_opts(conf)
    return upgradecheck.main(
        conf, project='tricircle', upgrade_command=Checks(conf),
        argv=sys.argv[1:] if argv is None else argv)


if __name__ == '__main__':
    sys.exit(main())
