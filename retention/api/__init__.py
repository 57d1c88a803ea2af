"""The REST API's shared parts: token authentication, roles, the error shape, paging."""
