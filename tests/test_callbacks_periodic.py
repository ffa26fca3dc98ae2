"""`PeriodicView`, the base of the three callbacks: its schedule, its budget,
its failure policy and its writer, on a view that only records its calls."""

import random
import time

import numpy as np
import pytest

from keras_featviz.callbacks.periodic import PeriodicView

from conftest import image_steps, read_run, tensor_value, tiny_classifier

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


class Recorder(PeriodicView):
    """A view that draws from the global random state (as building layers
    does), can fail or take long, and writes one scalar."""

    name = "records"
    key = "record"

    def __init__(self, log_dir, every_n_epochs=1, max_overhead=None, fail_at=(), sleep=0.0):
        super().__init__(log_dir, "records", every_n_epochs, max_overhead)
        self.fail_at, self.sleep = set(fail_at), sleep
        self.prepared, self.viewed, self.failed = 0, [], 0

    def _prepare(self):
        self.prepared += 1
        random.random(), np.random.rand()

    def _view(self, epoch):
        random.random(), np.random.rand()
        time.sleep(self.sleep)
        if epoch in self.fail_at:
            raise RuntimeError("boom")
        self.viewed.append(epoch)
        self.writer.scalar("recorded", float(epoch), step=epoch)

    def _failed(self):
        self.failed += 1


def fit(callback, epochs):
    model = tiny_classifier()
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).uniform(0, 255, (16, 16, 16, 3)).astype("float32")
    model.fit(x, np.arange(16) % 3, epochs=epochs, batch_size=8, verbose=0, callbacks=[callback])


def test_every_n_epochs_and_the_last_epoch(tmp_path):
    callback = Recorder(tmp_path, every_n_epochs=2)
    fit(callback, epochs=5)
    assert callback.prepared == 1
    assert callback.viewed == callback.logged_epochs == [1, 3, 4]
    run = read_run(tmp_path / "records")
    assert image_steps(run, "recorded") == [1, 3, 4]
    assert image_steps(run, "record_seconds") == [1, 3, 4]


def test_a_failed_view_warns_runs_the_hook_and_training_goes_on(tmp_path):
    callback = Recorder(tmp_path, fail_at={1})
    with pytest.warns(
        RuntimeWarning,
        match=r"Recorder: the records of epoch 2 failed and are skipped; training goes on\. \(RuntimeError: boom\)",
    ):
        fit(callback, epochs=3)
    assert callback.viewed == [0, 2] and callback.skipped_epochs == [1] and callback.failed == 1


def test_a_view_over_budget_skips_epochs_but_never_the_last(tmp_path):
    callback = Recorder(tmp_path, max_overhead=0.01, sleep=0.3)
    with pytest.warns(RuntimeWarning, match=r"Recorder: epoch 2 is skipped: the last records took"):
        fit(callback, epochs=4)
    assert callback.viewed == [0, 3] and callback.over_budget_epochs == [1, 2]
    run = read_run(tmp_path / "records")
    skipped = sorted((e.step, float(tensor_value(e))) for e in run.Tensors("record_skipped"))
    assert skipped == [(0, 0.0), (1, 1.0), (2, 1.0), (3, 0.0)]


def test_the_global_random_state_is_left_as_it_was(tmp_path):
    random.seed(5), np.random.seed(5)
    expected = (random.random(), np.random.rand())
    random.seed(5), np.random.seed(5)
    callback = Recorder(tmp_path)
    callback.on_train_begin()
    callback.on_epoch_begin(0)
    callback.params = {"epochs": 1}
    callback.on_epoch_end(0)
    callback.on_train_end()
    assert (random.random(), np.random.rand()) == expected
    assert callback.viewed == [0]
