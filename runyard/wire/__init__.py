"""MLflow's JSON wire format: request messages, entity encoding and the endpoint table.

Shared by the server (decoding requests, encoding responses) and the REST store (the reverse),
so that both sides agree on every field by construction.
"""
