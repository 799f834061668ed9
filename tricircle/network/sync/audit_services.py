"""The audit of the Neutron services central copies into pods: QoS
policies rule by rule, trunks subport by subport, port chains piece by
piece (tricircle.network.sync.audit runs these beside routers, networks,
ports and security groups)."""

import openstack.exceptions as os_exc

from tricircle.common import constants
from tricircle.db import api as db_api
from tricircle.network import qos as qos_common
from tricircle.network import regions
from tricircle.network import sfc
from tricircle.network.sync import resources
from tricircle.network.sync import sfc as sfc_sync
from tricircle.network import trunks

# The audit's words and look-ups, shared with tricircle.network.sync.audit
# (which imports this module).
MISSING, EXTRA, DIFFERENT = 'missing', 'extra', 'different'
PULL = 'pull'


def get(getter, resource_id):
    try:
        return getter(resource_id)
    except os_exc.NotFoundException:
        return None


def find(lister, resource_id):
    """By listing: a GET by id in a pod would pull a missing central
    network or subnet back in, hiding the drift."""
    return next(iter(lister(id=resource_id)), None)


def show(value):
    return '%r' % (value,) if value in ('', None) else '%s' % (value,)


class ServicesAudit:
    """Mixed into the Auditor: expects its ``central``, ``conns``,
    ``pods``, ``_routings`` and ``_add``."""

    def _both(self, pod_id, kind, noun, resource_id, top, copy, fix,
              missing_fix):
        """(central's, the pod's) copied resource as dicts, or None once a
        row says that one of them is not there."""
        if top is None:
            if copy is not None:
                self._add(pod_id, kind, resource_id, EXTRA,
                          'central has no such %s any more' % noun, fix)
            return None
        if copy is None:
            self._add(pod_id, kind, resource_id, MISSING,
                      'routed here but not in the pod', missing_fix)
            return None
        return (top.to_dict(original_names=True),
                copy.to_dict(original_names=True))

    def _qos_policies(self):
        for routing in self._routings(constants.RT_QOS_POLICY):
            self._qos_policy(routing['pod_id'], routing['top_id'])

    def _qos_policy(self, pod_id, policy_id):
        """A pod's copy of a central policy has central's attributes and
        exactly central's rules, under their ids, with their values."""
        fix = (constants.JOB_QOS_SYNC, policy_id)
        pair = self._both(pod_id, 'qos_policy', 'policy', policy_id,
                          get(self.central.get_qos_policy, policy_id),
                          find(self.conns[pod_id].qos_policies, policy_id),
                          fix, (PULL, 'qos_policy', policy_id))
        if pair is None:
            return
        diff = qos_common.differences(*pair)
        for key, (have, want) in sorted(diff['policy'].items()):
            self._add(pod_id, 'qos_policy', policy_id, DIFFERENT,
                      'pod has %s=%s, central has %s=%s' % (
                          key, show(have), key, show(want)), fix)
        for rule in diff['missing']:
            self._add(pod_id, 'qos_rule', rule['id'], MISSING,
                      '%s rule of policy %s not in the pod' % (
                          rule['type'], policy_id), fix)
        for have, want in diff['different']:
            self._add(pod_id, 'qos_rule', want['id'], DIFFERENT,
                      'pod has %s, central has %s' % (
                          qos_common.rule_values(have),
                          qos_common.rule_values(want)), fix)
        for rule in diff['extra']:
            self._add(pod_id, 'qos_rule', rule['id'], EXTRA,
                      '%s rule of policy %s that central lacks' % (
                          rule['type'], policy_id), fix)

    def _trunks(self):
        copies = {r['top_id']: r['pod_id']
                  for r in self._routings(constants.RT_TRUNK)}
        filters = {'project_id': self.project_id} if self.project_id else {}
        for top in self.central.trunks(**filters):
            if top.id in copies:
                continue
            for routing in db_api.list_routings(None, {
                    'top_id': top.port_id,
                    'resource_type': constants.RT_PORT}):
                if routing['pod_id'] in self.pods:
                    self._add(routing['pod_id'], 'trunk', top.id, MISSING,
                              'its parent %s is in the pod, the trunk is '
                              'not' % top.port_id,
                              (constants.JOB_TRUNK_SYNC, top.id))
        for trunk_id, pod_id in sorted(copies.items()):
            self._trunk(pod_id, trunk_id)

    def _trunk(self, pod_id, trunk_id):
        """A pod's copy of a central trunk has central's attributes and
        subports; central shows the copy's settled status."""
        fix = (constants.JOB_TRUNK_SYNC, trunk_id)
        pair = self._both(pod_id, 'trunk', 'trunk', trunk_id,
                          get(self.central.get_trunk, trunk_id),
                          find(self.conns[pod_id].trunks, trunk_id),
                          fix, (PULL, 'trunk', trunk_id))
        if pair is None:
            return
        top, copy = pair
        diff = trunks.differences(top, copy)
        for key, (have, want) in sorted(diff['trunk'].items()):
            self._add(pod_id, 'trunk', trunk_id, DIFFERENT,
                      'pod has %s=%s, central has %s=%s' % (
                          key, show(have), key, show(want)), fix)
        for sub in diff['missing']:
            self._add(pod_id, 'subport', sub['port_id'], MISSING,
                      'subport (%s %s) of trunk %s not in the pod' % (
                          sub['segmentation_type'], sub['segmentation_id'],
                          trunk_id), fix)
        for sub in diff['extra']:
            self._add(pod_id, 'subport', sub['port_id'], EXTRA,
                      'subport (%s %s) of trunk %s that central lacks' % (
                          sub['segmentation_type'], sub['segmentation_id'],
                          trunk_id), fix)
        if copy['status'] != top['status'] and \
                copy['status'] != trunks.BUILD:
            self._add(pod_id, 'trunk', trunk_id, DIFFERENT,
                      'pod has status=%s, central has status=%s' % (
                          copy['status'], top['status']), fix)

    def _port_chains(self):
        central = resources.central()
        query = '/sfc/port_chains?fields=id'
        if self.project_id:
            query += '&project_id=%s' % self.project_id
        try:
            chains = central.request('GET', query)['port_chains']
        except regions.PodRefused as e:
            if e.status != 404:
                raise
            chains = []  # central runs no SFC
        chain_ids = {c['id'] for c in chains} | {
            r['top_id'] for r in self._routings(constants.RT_PORT_CHAIN)}
        for chain_id in sorted(chain_ids):
            self._port_chain(central, chain_id)

    def _port_chain(self, central, chain_id):
        """The pods holding a port of a central chain hold the chain,
        each piece under central's id with central's attributes; no other
        pod holds it."""
        fix = (constants.JOB_SFC_SYNC, chain_id)
        top = sfc.tree(central, chain_id)
        wanted = sfc_sync.holders(top) if top is not None else set()
        held = {r['pod_id'] for r in db_api.list_routings(None, {
            'top_id': chain_id, 'resource_type': constants.RT_PORT_CHAIN})}
        for pod_id in sorted((wanted | held) & set(self.pods)):
            here = sfc.tree(regions.rest(self.pods[pod_id]), chain_id)
            if pod_id not in wanted:
                if here is not None:
                    self._add(pod_id, sfc.CHAIN, chain_id, EXTRA,
                              'central has no such port chain any more'
                              if top is None else
                              'no port of the chain is in the pod', fix)
            elif here is None:
                self._add(pod_id, sfc.CHAIN, chain_id, MISSING,
                          'a port of the chain is in the pod, the chain '
                          'is not', fix)
            else:
                self._chain_pieces(pod_id, chain_id, top, here, fix)

    def _chain_pieces(self, pod_id, chain_id, top, here, fix):
        for kind, found in sorted(sfc.differences(top, here).items()):
            noun = kind.replace('_', ' ')
            for rid in found['missing']:
                self._add(pod_id, kind, rid, MISSING, '%s of port chain %s '
                          'not in the pod' % (noun, chain_id), fix)
            for rid, attrs in sorted(found['different'].items()):
                for key in attrs:
                    self._add(pod_id, kind, rid, DIFFERENT,
                              'pod has %s=%s, central has %s=%s' % (
                                  key, show(here[kind][rid].get(key)), key,
                                  show(top[kind][rid].get(key))), fix)
            for rid in found['extra']:
                self._add(pod_id, kind, rid, EXTRA, '%s that central\'s '
                          'port chain %s lacks' % (noun, chain_id), fix)
