"""Errors that carry their own HTTP status.

Every layer raises these; the Admin API turns them into Neutron-style error
bodies, so a caller sees the same shape whichever Tricircle service answered.
"""


class TricircleError(Exception):
    """Base error; ``code`` is the HTTP status an API answers with."""

    code = 500
    message = 'An unknown error occurred.'

    def __init__(self, message=None, **kwargs):
        if message is None:
            message = self.message % kwargs if kwargs else self.message
        self.msg = message
        super().__init__(message)

    @property
    def type(self):
        return type(self).__name__


class BadRequest(TricircleError):
    code = 400
    message = 'Bad request.'


class InvalidInput(BadRequest):
    message = 'Invalid input: %(reason)s'


class NotAuthorized(TricircleError):
    code = 401
    message = 'Authentication required.'


class PolicyNotAuthorized(TricircleError):
    code = 403
    message = 'Policy does not allow %(action)s to be performed.'


class NotFound(TricircleError):
    code = 404
    message = 'Resource not found.'


class PodNotFound(NotFound):
    message = 'Pod %(pod_id)s could not be found.'


class RoutingNotFound(NotFound):
    message = 'Resource routing %(routing_id)s could not be found.'


class Conflict(TricircleError):
    code = 409
    message = 'Conflict.'


class DuplicatePod(Conflict):
    message = 'A pod with region name %(region_name)s already exists.'


class CentralPodExists(Conflict):
    message = ('The central pod (the one without az_name) already exists: '
               '%(region_name)s.')


class PodInUse(Conflict):
    message = ('Pod %(pod_id)s still has %(users)s; delete them (or move '
               'the bindings to another pod) first.')


class DuplicateRouting(Conflict):
    message = ('A routing for top_id %(top_id)s, pod %(pod_id)s and '
               'resource_type %(resource_type)s already exists.')


class BindingNotFound(NotFound):
    message = 'Pod binding %(binding_id)s could not be found.'


class BindingExists(Conflict):
    message = ('Project %(project_id)s is already bound to a pod in '
               'availability zone %(az_name)s (binding %(binding_id)s); '
               'move that binding instead.')


class EndpointNotFound(NotFound):
    message = 'No %(service_type)s endpoint known for region %(region)s.'


class JobNotFound(NotFound):
    message = 'Job %(job_id)s could not be found.'


class UnknownJobType(InvalidInput):
    message = 'Invalid input: unknown job type %(job_type)s; known: %(known)s'


class JobSucceeded(Conflict):
    message = ('Job %(job_id)s succeeded; only a NEW or FAIL job can be '
               'deleted.')


class JobRunning(Conflict):
    message = ('Job %(job_id)s is running; wait for it to finish (or for '
               'its lease to expire) and try again.')


class JobPending(Conflict):
    message = ('Job %(other_id)s is already pending for %(job_type)s '
               '%(resource_id)s and will do the work of job %(job_id)s; '
               'redo that one instead.')
