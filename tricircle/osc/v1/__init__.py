"""Commands of the Admin API v1.0: ``pods``, ``routings``, ``jobs``."""
