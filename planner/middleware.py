from calendar_project.client_address import client_address
from planner.audit import current_ip


class AuditContextMiddleware:
    """Makes the client address available to audit events written during the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(client_address(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
