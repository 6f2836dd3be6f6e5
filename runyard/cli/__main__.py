"""``python -m runyard.cli``: the ``runyard`` command, for interpreters whose scripts are not on PATH
(``--env-manager virtualenv|uv`` runs the scoring server this way inside the model's environment)."""

from runyard.cli.main import main

if __name__ == "__main__":
    main()
