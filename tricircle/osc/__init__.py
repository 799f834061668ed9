"""The ``openstack multiregion networking ...`` commands.

Operators drive OpenStack with the ``openstack`` CLI, so the Admin API
(pods, routings, jobs) is offered there too, as a python-openstackclient
plugin: ``plugin`` is what OSC loads at start (kept free of heavy imports,
since every ``openstack`` run imports it), ``client`` the small HTTP client
on OSC's keystoneauth session, ``v1`` the commands, one module a resource.
"""
