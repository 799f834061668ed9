#!/usr/bin/env bash
# Install what the tests and the demo need; safe to run again and again.
#
#  * .venv/ under the repo (python3 -m venv), with the project installed
#    editable together with its test extras and its compute extra (Nova,
#    Placement, Glance and Cinder beside Neutron, for
#    `tricircle sandbox up --compute` and tests/compute: they pin nothing
#    that fights Neutron, `pip check` stays clean);
#  * .venv-keystone/, Keystone (and gunicorn) in a virtualenv of its own,
#    for `tricircle sandbox up --keystone` and tests/keystone: Keystone's
#    pins are not Neutron's, so the two never share an environment;
#  * the Debian packages of the database servers the tests start privately
#    (MariaDB and PostgreSQL), of RabbitMQ (the compute sandbox's
#    broker) and of the data plane (Open vSwitch, ping, arping,
#    iptables, conntrack), only when their binaries are missing and we are
#    root.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
PYTHON=${PYTHON:-python3}

say() { echo "install-deps: $*"; }

# pip on some machines prints one harmless warning per configured location;
# keep the output to what matters.
quiet_pip() {
    local out rc=0
    out=$(PYTHONWARNINGS=ignore "$VENV/bin/pip" --disable-pip-version-check \
          "$@" 2>&1) || rc=$?
    printf '%s\n' "$out" | grep -Ev 'Location .* is ignored|^[[:space:]]*$' || true
    return $rc
}

# -- Python ----------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtualenv $VENV"
    "$PYTHON" -m venv "$VENV"
fi

STAMP="$VENV/.tricircle-installed"
# What the extras below bring (compute: Nova, Placement, Glance, Cinder).
IMPORTS='tricircle, pytest, pymysql, psycopg2, nova, placement, glance, cinder'
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ] \
        || ! (cd / && "$VENV/bin/python" -c "import $IMPORTS") \
            2>/dev/null; then
    say "upgrading pip"
    quiet_pip install -q --upgrade pip
    say "pip install -e '.[test,compute]'"
    quiet_pip install -q -e '.[test,compute]'
    if ! quiet_pip check >/dev/null; then
        say "WARNING: pip check reports conflicts:" >&2
        quiet_pip check >&2 || true
    fi
    touch "$STAMP"
else
    say "Python packages up to date (.venv)"
fi

# -- Optional extras: benchmark plots, topology PNGs ------------------------
# matplotlib (benchmarks/run_all.py) and the graphviz Python package
# (`tricircle topology --format png`); neither changes neutron's pins.
if ! (cd / && "$VENV/bin/python" -c 'import matplotlib, graphviz') \
        2>/dev/null; then
    say "pip install -e '.[bench,topology]'"
    quiet_pip install -q -e '.[bench,topology]'
else
    say "bench and topology extras present (.venv)"
fi

# -- Keystone, in its own virtualenv ---------------------------------------
KEYSTONE_VENV="$ROOT/.venv-keystone"
KEYSTONE_REQ="keystone==30.0.0"
if [ ! -x "$KEYSTONE_VENV/bin/python" ]; then
    say "creating virtualenv $KEYSTONE_VENV"
    "$PYTHON" -m venv "$KEYSTONE_VENV"
fi
if ! (cd / && "$KEYSTONE_VENV/bin/python" -c 'import keystone, gunicorn') \
        2>/dev/null || [ ! -x "$KEYSTONE_VENV/bin/keystone-manage" ]; then
    say "pip install $KEYSTONE_REQ gunicorn (into .venv-keystone)"
    VENV="$KEYSTONE_VENV" quiet_pip install -q "$KEYSTONE_REQ" 'gunicorn>=22'
else
    say "Keystone present (.venv-keystone)"
fi

# -- Debian packages of the database servers -------------------------------
PG_BIN=/usr/lib/postgresql/15/bin
missing=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }
if ! have mariadbd || ! have mariadb-install-db; then
    missing+=(mariadb-server mariadb-client)
fi
if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/postgres" ]; then
    missing+=(postgresql)
fi
# Graphviz's `dot`, for `tricircle topology --format png` and its tests.
if ! have dot; then
    missing+=(graphviz)
fi
# RabbitMQ, run privately (from /usr/lib/rabbitmq/bin) by
# `sandbox up --compute` for Nova's and Cinder's RPC.
if [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || ! have epmd; then
    missing+=(rabbitmq-server)
fi
# The data plane (`sandbox up --dataplane`, tests/dataplane): Open vSwitch
# (userspace datapath, a private ovs-vswitchd per sandbox), and what
# Neutron's L3 agent runs in its routers' namespaces.
if ! have ovs-vswitchd; then missing+=(openvswitch-switch); fi
if ! have ping; then missing+=(iputils-ping); fi
if ! have arping; then missing+=(iputils-arping); fi
if ! have iptables-save; then missing+=(iptables); fi
if ! have conntrack; then missing+=(conntrack); fi

if [ ${#missing[@]} -eq 0 ]; then
    say "database servers and RabbitMQ present (mariadbd," \
        "$PG_BIN/postgres, rabbitmq-server)"
elif [ "$(id -u)" -ne 0 ]; then
    say "WARNING: missing Debian packages ${missing[*]}; not root, so not" \
        "installing them. Run: sudo apt-get install ${missing[*]}" >&2
else
    # The tests start their own private servers: keep the packages from
    # starting system-wide ones on install (policy-rc.d exit 101 = deny).
    added_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        added_policy=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    export DEBIAN_FRONTEND=noninteractive
    say "apt-get update"
    apt-get update -qq
    say "apt-get install -y --no-install-recommends ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [ -n "$added_policy" ]; then
        rm -f /usr/sbin/policy-rc.d
        trap - EXIT
    fi
    say "installed ${missing[*]}"
fi
