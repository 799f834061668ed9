"""Print a token Keystone itself issued the keys for but whose life is over.

Run with the Keystone virtualenv's python (it imports keystone):
``python expired_token.py KEYSTONE_CONF USER_ID PROJECT_ID HOURS``. The
token is a real fernet token, encrypted with the sandbox's own keys, for a
real user and project, ending HOURS from now: -1 makes one that expired an
hour ago, exactly what a client holding an old token sends (waiting for a
real one to expire would take Keystone's token lifetime, an hour); +1 makes
a valid one, the control showing the token is otherwise sound.
"""

import datetime
import sys

import keystone.conf
from keystone.common import utils
from keystone.token import provider
from keystone.token import token_formatters


def main(conf_file, user_id, project_id, hours):
    keystone.conf.configure()
    keystone.conf.CONF(['--config-file', conf_file], project='keystone')
    expires = datetime.datetime.utcnow() + datetime.timedelta(
        hours=float(hours))
    token = token_formatters.TokenFormatter().create_token(
        user_id, utils.isotime(expires, subsecond=True),
        [provider.random_urlsafe_str()],
        token_formatters.ProjectScopedPayload, methods=['password'],
        project_id=project_id)
    token = token[0] if isinstance(token, tuple) else token
    print(token)


if __name__ == '__main__':
    main(*sys.argv[1:5])
