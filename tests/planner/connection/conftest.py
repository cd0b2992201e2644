from tests.planner.connection.stand_ins import oauth_server, x_api

__all__ = ["oauth_server", "x_api"]
