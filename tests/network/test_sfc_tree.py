"""The comparison of a pod's port chain with central's
(tricircle.network.sfc.differences), which the sync job and the audit
both act on: pure logic, no processes."""

import copy

from tricircle.network import sfc


def _tree():
    return {
        'port_chain': {'c': {'id': 'c', 'name': 'chain', 'description': '',
                             'port_pair_groups': ['g1', 'g2'],
                             'flow_classifiers': ['f1', 'f2']}},
        'port_pair_group': {
            'g1': {'id': 'g1', 'name': '', 'description': '',
                   'port_pairs': ['p1', 'p2']},
            'g2': {'id': 'g2', 'name': '', 'description': '',
                   'port_pairs': ['p3']}},
        'port_pair': {p: {'id': p, 'name': p, 'description': '',
                          'ingress': 'i' + p, 'egress': 'e' + p}
                      for p in ('p1', 'p2', 'p3')},
        'flow_classifier': {f: {'id': f, 'name': f, 'description': None,
                                'logical_source_port': 'src',
                                'logical_destination_port': None}
                            for f in ('f1', 'f2')},
    }


def test_same_tree_is_in_step():
    assert sfc.differences(_tree(), _tree()) == {}


def test_pairs_and_classifiers_have_no_order_groups_do():
    here = _tree()
    here['port_pair_group']['g1']['port_pairs'] = ['p2', 'p1']
    here['port_chain']['c']['flow_classifiers'] = ['f2', 'f1']
    # None and '' are one empty description.
    here['flow_classifier']['f1']['description'] = ''
    assert sfc.differences(_tree(), here) == {}
    here['port_chain']['c']['port_pair_groups'] = ['g2', 'g1']
    assert sfc.differences(_tree(), here) == {'port_chain': {
        'missing': [], 'extra': [],
        'different': {'c': ['port_pair_groups']}}}


def test_missing_extra_and_different_pieces():
    top, here = _tree(), _tree()
    del here['port_pair']['p3']
    here['port_pair']['p9'] = dict(top['port_pair']['p1'], id='p9')
    here['flow_classifier']['f2'] = dict(here['flow_classifier']['f2'],
                                         name='drifted')
    assert sfc.differences(top, here) == {
        'port_pair': {'missing': ['p3'], 'extra': ['p9'], 'different': {}},
        'flow_classifier': {'missing': [], 'extra': [],
                            'different': {'f2': ['name']}},
    }


def test_ports_of_a_chain_and_copy_bodies():
    tree = _tree()
    assert sfc.ports(tree) == {'ip1', 'ep1', 'ip2', 'ep2', 'ip3', 'ep3',
                               'src'}
    chain = dict(copy.deepcopy(tree['port_chain']['c']), project_id='t',
                 chain_id=7, chain_parameters={'correlation': 'mpls'},
                 tenant_id='t', id='c')
    body = sfc.body('port_chain', chain)
    assert body['chain_id'] == 7 and body['project_id'] == 't'
    assert 'id' not in body and 'tenant_id' not in body
    assert sfc.path('port_pair', 'x') == '/sfc/port_pairs/x'
