"""Central Neutron's plugins: the single owner of every tenant resource,
its IPs, MACs and segments; changes that pods must follow become jobs."""
