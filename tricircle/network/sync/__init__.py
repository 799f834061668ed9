"""Convergence run by XJob: read central as it is now and make every pod
match it (routers, bridges, floating IPs, shadow ports, security groups),
and the audit that compares the two."""
