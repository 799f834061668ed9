"""Config files of the sandbox's compute services (``sandbox up --compute``).

Each pod gets its own Placement, Nova and Cinder, as a region of a real
cloud has, under ``<sandbox>/<Pod>/{placement,nova,cinder}/``; the one
Glance lives under ``<sandbox>/glance/`` (CentralRegion's, shared by the
pods as the seeds' walkthroughs show). Every database is SQLite in those
folders.

Without Keystone (``auth`` None below) there is no catalog: each service
names the others' URLs, and the pasted pipelines carry no ``authtoken`` (a
request's identity comes from its ``X-User-Id``/``X-Project-Id``/
``X-Roles`` headers, as the sandbox's Neutron takes it). With Keystone
(``auth``: a ``catalog.ServiceAuth``) every service validates tokens and
finds the others in its region's catalog.

Values worth knowing (measured on this machine kind, see the design doc):
``fake.FakeDriverWithoutFakeNodes`` survives a restart (``fake.FakeDriver``
does not); ``vif_plugging_timeout = 0`` because no agent reports a VIF
plugged; Nova 34 has no noauth mode and a no-op quota driver stands in for
Keystone-checked limits.
"""

import os
import shutil
import sys

from tricircle.sandbox import configs

# The one image Glance serves and every pod's flavor id 1.
IMAGE_NAME = 'tiny'
FLAVOR = {'id': '1', 'name': 'm1.tiny', 'ram': 64, 'vcpus': 1, 'disk': 1}


def sqlite_url(path):
    return 'sqlite:///%s' % path


def _installed(*parts):
    """A file the package installed under the venv's ``etc/``."""
    return os.path.join(sys.prefix, 'etc', *parts)


def _paste_without_authtoken(installed, path):
    """The installed paste file with ``authtoken`` out of its pipelines."""
    with open(installed) as f:
        lines = f.read().splitlines()
    out = []
    for line in lines:
        key, sep, value = line.partition('=')
        if sep and not line.lstrip().startswith(('[', '#')) and \
                ' authtoken ' in ' %s ' % value:
            value = ' '.join(w for w in value.split() if w != 'authtoken')
            line = '%s= %s' % (key, value)
        out.append(line)
    with open(path, 'w') as f:
        f.write('\n'.join(out) + '\n')
    return path


def _folder(*parts):
    path = os.path.join(*parts)
    os.makedirs(path, exist_ok=True)
    return path


def compute_host(region_name):
    """The name of a pod's one nova-compute host (and its Nova services)."""
    return '%s-compute' % region_name.lower()


def pod_dirs(sandbox_dir, region_name):
    base = os.path.join(sandbox_dir, region_name)
    return {name: _folder(base, name)
            for name in ('placement', 'nova', 'cinder')}


def write_placement(folder, auth=None):
    sections = {
        'DEFAULT': {'debug': 'False'},
        # Without Keystone the "admin" token is the admin; nothing else
        # is checked.
        'api': {'auth_strategy': 'keystone' if auth else 'noauth2'},
        'placement_database': {
            'connection': sqlite_url(os.path.join(folder,
                                                  'placement.sqlite'))},
    }
    if auth:
        sections['keystone_authtoken'] = auth.authtoken('placement')
    configs.write_ini(os.path.join(folder, 'placement.conf'), sections)
    return folder


def nova_sections(folder, pod, urls, transport_url, auth=None):
    """``urls``: placement, neutron, glance, cinder of the pod (used
    without Keystone only)."""
    state = _folder(folder, 'state')
    sections = {
        'DEFAULT': {
            'debug': 'False',
            'host': compute_host(pod['region_name']),
            'my_ip': '127.0.0.1',
            'state_path': state,
            'instances_path': _folder(state, 'instances'),
            'transport_url': transport_url,
            'compute_driver': 'fake.FakeDriverWithoutFakeNodes',
            'vif_plugging_is_fatal': 'False',
            'vif_plugging_timeout': '0',
            # Hosts outside any AZ aggregate are in this AZ: the pod's.
            'default_availability_zone': pod['az_name'],
            # Resources go to Placement at start and then this often; a
            # start that found Placement not answering yet heals soon.
            'update_resources_interval': '10',
            # Periodic tasks from the start, not after a random 0-60 s:
            # the scheduler's first mapping of the compute host into the
            # cell ("sandbox up" waits for it) is one of them.
            'periodic_fuzzy_delay': '0',
        },
        # One compute host per pod: a failed build has nowhere else to
        # go, and without a retry the server's fault keeps the reason
        # (e.g. "Central Neutron ... cannot be reached") instead of
        # "Exceeded maximum number of retries". The scheduler maps new
        # compute hosts into the cell (what "nova-manage cell_v2
        # discover_hosts" does, without one more process importing Nova).
        'scheduler': {'workers': '1', 'max_attempts': '1',
                      'discover_hosts_in_cells_interval': '2'},
        'wsgi': {'api_paste_config': os.path.join(folder, 'api-paste.ini')},
        'api_database': {'connection': sqlite_url(
            os.path.join(folder, 'nova_api.sqlite'))},
        'database': {'connection': sqlite_url(
            os.path.join(folder, 'nova_cell1.sqlite'))},
        'conductor': {'workers': '1'},
        'quota': {'driver': 'nova.quota.NoopQuotaDriver'},
        'oslo_concurrency': {'lock_path': _folder(state, 'lock')},
        'oslo_messaging_notifications': {'driver': 'noop'},
    }
    region = pod['region_name']
    if auth:
        sections.update({
            'keystone_authtoken': auth.authtoken('nova'),
            'placement': auth.client('nova', region),
            'neutron': auth.client('nova', region),
            'glance': {'region_name': region, 'valid_interfaces': 'public'},
            'cinder': auth.client('nova', region, 'os_region_name'),
            'service_user': auth.service_user('nova')})
    else:
        sections.update({
            'placement': {'auth_type': 'admin_token', 'token': 'admin',
                          'endpoint': urls['placement']},
            'neutron': {'auth_type': 'none', 'region_name': region,
                        'endpoint_override': urls['neutron']},
            'glance': {'endpoint_override': urls['glance']},
            'cinder': {'endpoint_template':
                       urls['cinder'] + '/v3/%(project_id)s',
                       'os_region_name': region}})
    return sections


def write_nova(folder, pod, urls, transport_url, auth=None, extra=None):
    paste = os.path.join(folder, 'api-paste.ini')
    if auth:
        shutil.copyfile(_installed('nova', 'api-paste.ini'), paste)
    else:
        _paste_without_authtoken(_installed('nova', 'api-paste.ini'), paste)
    configs.write_ini(os.path.join(folder, 'nova.conf'), configs.merge(
        nova_sections(folder, pod, urls, transport_url, auth), extra))
    return folder


def write_cinder(folder, pod, glance_url, transport_url, auth=None):
    state = _folder(folder, 'state')
    sections = {
        'DEFAULT': {
            'debug': 'False',
            'host': '%s-volume' % pod['region_name'].lower(),
            'my_ip': '127.0.0.1',
            'state_path': state,
            'transport_url': transport_url,
            # Without Keystone the token "user:project" is the identity.
            'auth_strategy': 'keystone' if auth else 'noauth',
            'api_paste_config': _installed('cinder', 'api-paste.ini'),
            # Which list filters the API takes (volume list --name ...).
            'resource_query_filters_file': _installed(
                'cinder', 'resource_filters.json'),
            'enabled_backends': 'fake',
            'storage_availability_zone': pod['az_name'],
            'default_availability_zone': pod['az_name'],
            'glance_api_servers': glance_url,
            # The scheduler knows no backend, and refuses every volume,
            # until cinder-volume's first periodic report; by default
            # that waits a random 0-60 s ("sandbox up" then polls for it).
            'periodic_fuzzy_delay': '0',
        },
        'database': {'connection': sqlite_url(os.path.join(
            folder, 'cinder.sqlite'))},
        'oslo_concurrency': {'lock_path': _folder(state, 'lock')},
        'oslo_messaging_notifications': {'driver': 'noop'},
        # In the cinder wheel: volumes that take no disk.
        'fake': {'volume_driver':
                 'cinder.tests.fake_driver.FakeLoggingVolumeDriver',
                 'volume_backend_name': 'fake'},
    }
    if auth:
        # Cinder asks the pod's Nova, as the user, whether an attachment
        # is still in use before deleting it (so detach needs Keystone).
        nova = dict(auth.client('cinder', pod['region_name']),
                    interface='public')
        sections.update({'keystone_authtoken': auth.authtoken('cinder'),
                         'nova': nova,
                         'service_user': auth.service_user('cinder')})
    configs.write_ini(os.path.join(folder, 'cinder.conf'), sections)
    return folder


def write_glance(folder, auth=None):
    state = _folder(folder, 'state')
    sections = {
        'DEFAULT': {'debug': 'False', 'enabled_backends': 'fs:file'},
        'database': {'connection': sqlite_url(
            os.path.join(folder, 'glance.sqlite'))},
        'glance_store': {'default_backend': 'fs'},
        'fs': {'filesystem_store_datadir': _folder(state, 'images')},
        'os_glance_staging_store': {
            'filesystem_store_datadir': _folder(state, 'staging')},
        'os_glance_tasks_store': {
            'filesystem_store_datadir': _folder(state, 'tasks')},
        'paste_deploy': {'config_file': _installed('glance',
                                                   'glance-api-paste.ini')},
        'oslo_policy': {'enforce_new_defaults': 'False'},
        'oslo_concurrency': {'lock_path': _folder(state, 'lock')},
    }
    if auth:
        sections['paste_deploy']['flavor'] = 'keystone'
        sections['keystone_authtoken'] = auth.authtoken('glance')
    else:
        # Every request is an unauthenticated admin context; a public
        # upload also needs the policy to let it publicize.
        policy = os.path.join(folder, 'policy.yaml')
        with open(policy, 'w') as f:
            f.write('"context_is_admin": "@"\n"publicize_image": "@"\n')
        sections['oslo_policy']['policy_file'] = policy
    configs.write_ini(os.path.join(folder, 'glance-api.conf'), sections)
    return folder


def neutron_extra(layout, region_name):
    """What a pod's Neutron needs once Nova binds ports in it: a driver
    binding the agentless compute hosts, and no notifier calling a Nova it
    has no credentials for (Nova waits for no event either).

    Every pod's host is bound, not only the pod's own: a VxLAN shadow port
    is bound to the host of the port it stands in for, in another pod, as
    an agent's driver binds it to the remote host's agent record."""
    return {
        'DEFAULT': {'notify_nova_on_port_status_changes': 'False',
                    'notify_nova_on_port_data_changes': 'False'},
        'ml2': {'mechanism_drivers': 'tricircle_agentless'},
        'ml2_agentless': {'hosts': ','.join(
            compute_host(pod['region_name']) for pod in layout['pods'])},
    }
