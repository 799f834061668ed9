"""The API gateway: one Nova and one Cinder endpoint for the whole cloud.

A tenant boots servers and makes volumes against CentralRegion; the
gateway picks the pod (by availability zone and the tenant's binding to a
pod of that zone), forwards the call to that pod's own Nova or Cinder, and
remembers where each server and volume lives (resource routings), so every
later call about it goes to the same pod. Lists merge the pods; flavors,
keypairs and aggregates are kept the same everywhere.
"""
