"""Model flavors: how each framework's models are saved into, and loaded from, a model directory.

Each flavor module has ``save_model(model, path, ...)``, ``load_model(local_path)`` and the pyfunc
loader ``_load_pyfunc(path)``; frameworks are imported inside functions, so importing a flavor
costs nothing until it is used. ``runyard.flavors.loading`` maps the ``loader_module`` names an
MLmodel file carries (MLflow's, such as ``mlflow.sklearn``) to these modules.
"""
