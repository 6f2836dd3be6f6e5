"""The REST side: a tracking store and an artifact store that talk to an MLflow-compatible server."""
