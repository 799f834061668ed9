"""Errors the gateway answers with itself, in Nova's and Cinder's fault
shape (``{"badRequest": {"code": 400, "message": ...}}``), so a client
cannot tell them from a pod's own."""

from oslo_serialization import jsonutils
import webob

FAULT_NAMES = {400: 'badRequest', 401: 'unauthorized', 403: 'forbidden',
               404: 'itemNotFound', 405: 'badMethod',
               409: 'conflictingRequest', 413: 'overLimit',
               501: 'notImplemented', 503: 'serviceUnavailable'}


class GatewayError(Exception):
    code = 500

    def __init__(self, message):
        self.message = message
        super().__init__(message)


class BadRequest(GatewayError):
    code = 400


class NotFound(GatewayError):
    code = 404


class NotImplemented_(GatewayError):
    code = 501


class ServiceUnavailable(GatewayError):
    code = 503


class PodDown(ServiceUnavailable):
    """A pod's Nova or Cinder did not answer."""

    def __init__(self, pod, service_type, reason):
        self.pod = pod
        super().__init__('%s of pod %s (%s) cannot be reached: %s' % (
            service_type, pod['region_name'], pod['az_name'], reason))


def fault(code, message):
    name = FAULT_NAMES.get(code, 'computeFault')
    return webob.Response(
        status=code, content_type='application/json', charset='UTF-8',
        body=jsonutils.dump_as_bytes(
            {name: {'code': code, 'message': message}}))
