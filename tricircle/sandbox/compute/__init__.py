"""The sandbox's compute services (``sandbox up --compute``): Nova,
Placement and Cinder per pod, one Glance and one RabbitMQ broker."""
