"""Autologging: patched training functions log params, metrics and models without logging code.

``runyard.autolog()`` turns it on for every supported framework that is installed;
``runyard.sklearn.autolog()``, ``runyard.xgboost.autolog()``, ``runyard.lightgbm.autolog()`` and
``runyard.pytorch.autolog()`` (PyTorch Lightning) configure one framework. Logging failures are ``AutologgingWarning``s, never training failures.
"""

from runyard.autologging.safety import AutologgingWarning
from runyard.autologging.universal import autolog

__all__ = ["AutologgingWarning", "autolog"]
