"""The sandbox's SQLite Neutron schema holds the rows Neutron's migrations
insert: the security group rule templates, once however often a server
starts on the same database."""

import sqlalchemy as sa

from tricircle.sandbox import neutron_server


def _rows(url, query):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(query))]
    finally:
        engine.dispose()


def _key(rule):
    return (rule['direction'], rule['ethertype'],
            bool(rule['used_in_default_sg']),
            bool(rule['used_in_non_default_sg']),
            rule.get('remote_group_id'))


def test_rule_templates_are_neutrons_and_inserted_once(tmp_path,
                                                       monkeypatch):
    # One load of Neutron's migration, so its template ids are the ones
    # inserted (each load draws new ids, as each migrated database has).
    migration = neutron_server._neutron_migration(
        neutron_server.SG_DEFAULT_RULES_REVISION)
    monkeypatch.setattr(neutron_server, '_neutron_migration',
                        lambda revision: migration)
    assert migration.table_name == 'securitygroupdefaultrules'
    expected = migration.default_template_rules
    originals = [dict(r) for r in expected]

    url = 'sqlite:///%s' % (tmp_path / 'neutron.sqlite')
    neutron_server.create_sqlite_schema(url)
    neutron_server.create_sqlite_schema(url)   # a server restarting

    rows = [dict(zip(('id', 'direction', 'ethertype', 'used_in_default_sg',
                      'used_in_non_default_sg', 'remote_group_id',
                      'resource_type', 'description'), row))
            for row in _rows(url, """
        SELECT r.id, r.direction, r.ethertype, r.used_in_default_sg,
               r.used_in_non_default_sg, r.remote_group_id, s.resource_type,
               s.description
        FROM securitygroupdefaultrules r
        JOIN standardattributes s ON s.id = r.standard_attr_id""")]
    assert len(rows) == len(expected) == 4
    assert sorted(r['id'] for r in rows) == sorted(r['id'] for r in expected)
    assert sorted(map(_key, rows)) == sorted(map(_key, expected))
    assert sorted((r['resource_type'], r['description']) for r in rows) == \
        sorted(('securitygroupdefaultrules', r['description'])
               for r in expected)
    # One standardattributes row per template, nothing else.
    assert _rows(url, 'SELECT resource_type, count(*) FROM '
                 'standardattributes GROUP BY resource_type') == [
        ('securitygroupdefaultrules', 4)]
    # Neutron's module is read, not changed.
    assert expected == originals


def test_templates_kept_when_present(tmp_path):
    """A table holding templates already (e.g. edited by an admin) is not
    refilled."""
    url = 'sqlite:///%s' % (tmp_path / 'neutron.sqlite')
    neutron_server.create_sqlite_schema(url)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "DELETE FROM securitygroupdefaultrules "
                "WHERE direction = 'ingress'"))
    finally:
        engine.dispose()
    neutron_server.create_sqlite_schema(url)
    assert sorted(_rows(url, 'SELECT direction, ethertype FROM '
                        'securitygroupdefaultrules')) == [
        ('egress', 'IPv4'), ('egress', 'IPv6')]
