"""The autolog machinery on a small framework of its own (``Trainer``): reversible patches, one
logging call per outermost fit, runs started and ended around training, and failures that warn
instead of breaking training."""

from __future__ import annotations

import threading
import warnings

import pytest

import runyard
from runyard.autologging import AutologgingWarning, configs, patching, sessions

FLAVOR = "toy"


class Trainer:
    def fit(self, x, fail=False):
        if fail:
            raise ValueError("training diverged")
        self.fitted_ = x
        return self


class Ensemble(Trainer):
    """A meta trainer whose fit calls its members' (patched) fit."""

    def __init__(self, members, threaded=False):
        self.members = members
        self.threaded = threaded

    def fit(self, x, fail=False):
        if self.threaded:
            workers = [threading.Thread(target=m.fit, args=(x,)) for m in self.members]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        else:
            for member in self.members:
                member.fit(x)
        return super().fit(x, fail)


class Inheriting(Trainer):
    """Has no fit of its own."""


class ToyCall(sessions.TrainingCall):
    def log(self, result):
        self.run.client.log_param(self.run.run_id, f"{type(result).__name__}_x", self.args[1], synchronous=True)


ORIGINAL_TRAINER_FIT = Trainer.__dict__["fit"]
ORIGINAL_ENSEMBLE_FIT = Ensemble.__dict__["fit"]


def enable(**settings):
    configs.set_config(configs.AutologConfig(FLAVOR, **settings))
    for cls in (Trainer, Ensemble, Inheriting):
        patching.patch(FLAVOR, cls, "fit", sessions.patched_training(FLAVOR, ToyCall))


def runs(experiment_id="0"):
    return runyard.MlflowClient().search_runs([experiment_id])


def test_patches_are_reversible_and_idempotent():
    enable()
    assert Trainer.fit is not ORIGINAL_TRAINER_FIT and Trainer.fit.__wrapped__ is ORIGINAL_TRAINER_FIT
    assert "fit" in Inheriting.__dict__  # wrapped as the class's own attribute
    assert patching.original_function(Inheriting.fit) is ORIGINAL_TRAINER_FIT
    assert patching.patch(FLAVOR, Trainer, "fit", sessions.patched_training(FLAVOR, ToyCall)) is False
    assert patching.patched_count(FLAVOR) == 3
    assert patching.unpatch(FLAVOR) == 3
    assert Trainer.__dict__["fit"] is ORIGINAL_TRAINER_FIT and Ensemble.__dict__["fit"] is ORIGINAL_ENSEMBLE_FIT
    assert "fit" not in Inheriting.__dict__


def test_patch_skips_what_is_not_a_plain_function():
    class WithProperty:
        @property
        def fit(self):
            return None

    assert patching.patch(FLAVOR, WithProperty, "fit", sessions.patched_training(FLAVOR, ToyCall)) is False
    assert patching.patch(FLAVOR, WithProperty, "missing", sessions.patched_training(FLAVOR, ToyCall)) is False


def test_a_run_is_started_and_finished_around_fit():
    enable(extra_tags={"team": "vision"})
    trainer = Trainer()
    assert trainer.fit(3) is trainer and trainer.fitted_ == 3
    assert runyard.active_run() is None
    (run,) = runs()
    assert run.info.status == "FINISHED"
    assert run.data.params == {"Trainer_x": "3"}
    assert run.data.tags["mlflow.autologging"] == FLAVOR and run.data.tags["team"] == "vision"


def test_failed_training_ends_the_run_failed_and_raises_the_same_exception():
    enable()
    with pytest.raises(ValueError, match="training diverged") as raised:
        Trainer().fit(1, fail=True)
    assert type(raised.value) is ValueError and raised.traceback[-1].name == "fit"
    (run,) = runs()
    assert run.info.status == "FAILED" and run.data.params == {}
    assert runyard.active_run() is None


def test_the_active_run_is_used_and_left_open():
    enable()
    with runyard.start_run() as run:
        Trainer().fit(5)
        assert runyard.active_run().info.run_id == run.info.run_id
    (logged,) = runs()
    assert logged.info.run_id == run.info.run_id and logged.data.params == {"Trainer_x": "5"}
    assert "mlflow.autologging" not in logged.data.tags


def test_exclusive_leaves_user_runs_alone():
    enable(exclusive=True)
    with runyard.start_run():
        Trainer().fit(5)
    (run,) = runs()
    assert run.data.params == {}
    Trainer().fit(6)  # outside a user run it still logs
    assert sorted(r.data.params.get("Trainer_x", "") for r in runs()) == ["", "6"]


@pytest.mark.parametrize("threaded", [False, True])
def test_only_the_outermost_call_logs(threaded):
    enable()
    Ensemble([Trainer(), Inheriting()], threaded=threaded).fit(2)
    (run,) = runs()
    assert run.data.params == {"Ensemble_x": "2"}


def test_disabled_flavor_does_not_log():
    enable()
    configs.clear_config(FLAVOR)  # patched, but switched off
    Trainer().fit(1)
    assert runs() == []


def test_a_logging_failure_warns_and_training_still_returns():
    enable()
    experiment = runyard.set_experiment("gone")
    runyard.delete_experiment(experiment.experiment_id)
    trainer = Trainer()
    with pytest.warns(AutologgingWarning, match="could not start a run.*deleted"):
        assert trainer.fit(4) is trainer
    assert trainer.fitted_ == 4


def test_silent_swallows_the_warning():
    enable(silent=True)
    experiment = runyard.set_experiment("gone")
    runyard.delete_experiment(experiment.experiment_id)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Trainer().fit(4).fitted_ == 4


def test_version_support_table():
    assert configs._release("1.9.1") == (1, 9, 1)
    assert configs._release("2.1.0rc1") == (2, 1, 0)
    assert configs._release("3.2.0+cpu") == (3, 2, 0)
    for flavor in ("sklearn", "xgboost", "lightgbm"):
        assert configs.is_supported_version(flavor)  # the versions installed here are within range


def test_facades_do_not_import_the_frameworks():
    import subprocess
    import sys

    probe = ("import sys, runyard, runyard.autologging, runyard.sklearn, runyard.xgboost, runyard.lightgbm\n"
             "runyard.autolog\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'xgboost', 'lightgbm', 'skops'}))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
