"""``runyard.exceptions``: the exception names MLflow code imports."""

from runyard.errors import (
    InvalidParameterValue,
    MlflowException,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
    RunyardException,
)

__all__ = ["InvalidParameterValue", "MlflowException", "ResourceAlreadyExists", "ResourceDoesNotExist",
           "RunyardException"]
