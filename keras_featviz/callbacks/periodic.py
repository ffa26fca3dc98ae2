"""`PeriodicView`: the base of the three callbacks, and what they share.

It imports no concrete callback. Every `every_n_epochs` epochs, and after
the last, a view of the model is computed and written to its own
TensorBoard run; a view that failed warns and training goes on; a view that
cost more than `max_overhead` of the training time since the last one makes
the next epochs wait (the last epoch is always shown), unless the view
keeps to the budget itself (`skips_epochs = False`: the feature
visualization cuts its steps instead); its cost is logged as
`<key>_seconds`. The model and the run's global random state are only read
(`preserved_random_state`).
"""

from __future__ import annotations

import contextlib
import os
import random
import time
import warnings

import keras
import numpy as np

from keras_featviz import validation
from keras_featviz.devices import run_apart
from keras_featviz.io.tensorboard import EventWriter
from keras_featviz.validation import directory_path, number, positive_int, writable_directory


@contextlib.contextmanager
def preserved_random_state():
    """Run a block without moving Python's or NumPy's global random state.

    Building layers draws default seeds from Python's `random`, and `fit`
    shuffles with it; a callback that moved it would change the user's run.
    """
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


class PeriodicView(keras.callbacks.Callback):
    """Base class: subclasses define `name`, `key`, `_prepare()` and `_view(epoch)`.

    `name` says what a view is in messages (plural: "attribution maps");
    `key` starts its cost scalar, `<key>_seconds`. A subclass that keeps to
    `max_overhead` by itself sets `skips_epochs = False`; `failure_note`
    ends the warning of a failed view, and `_failed()` runs after one.

    `_prepare` runs in `on_train_begin` (build, and check everything that
    can be checked before the first epoch); `_view(epoch)` computes and
    writes one view with `self.writer`. Both run with the global random
    state preserved, outside the user's `tf.distribute` strategy
    (`devices.run_apart`).

    Args:
        log_dir: Directory of the TensorBoard logs.
        run_name: The run folder inside `log_dir`.
        every_n_epochs: Int, every this many epochs (and after the last).
        max_overhead: Float > 0 or `None`: skip epochs while the last view
            cost more than this fraction of the training time since it.

    Attributes:
        logged_epochs: Epochs whose view was written (0-based).
        over_budget_epochs: Epochs skipped to stay within `max_overhead`.
        skipped_epochs: Epochs whose view failed (a warning said why).
        seconds: Dict, epoch to the seconds its view took.
        last_epoch: The last epoch that ended (0-based), or `None`.
    """

    name = "views"
    key = "view"
    skips_epochs = True
    failure_note = ""

    def __init__(
        self,
        log_dir: str | os.PathLike,
        run_name: str,
        every_n_epochs: int,
        max_overhead: float | None,
    ) -> None:
        super().__init__()
        self.log_dir = directory_path(log_dir, "log_dir")
        self.run_name = validation.run_name(run_name)
        self.every_n_epochs = positive_int(every_n_epochs, "every_n_epochs")
        self.max_overhead = number(max_overhead, "max_overhead", minimum=0, inclusive=False, optional=True)
        self.writer: EventWriter | None = None
        self.logged_epochs: list[int] = []
        self.skipped_epochs: list[int] = []
        self.over_budget_epochs: list[int] = []
        self.seconds: dict[int, float] = {}
        self.last_epoch: int | None = None
        self._training_seconds = 0.0
        self._epoch_began: float | None = None

    @property
    def run_dir(self) -> str:
        """The folder the event files go to: `log_dir/run_name`."""
        return os.path.join(self.log_dir, self.run_name)

    def on_train_begin(self, logs: dict | None = None) -> None:
        with preserved_random_state():
            run_apart(self._prepare)
        writable_directory(self.run_dir)
        self.writer = EventWriter(self.run_dir)
        self.logged_epochs, self.skipped_epochs, self.over_budget_epochs = [], [], []
        self.seconds = {}
        self.last_epoch = None
        self._training_seconds = 0.0
        self._epoch_began = None
        self._warned_skip = False

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch_began = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.last_epoch = epoch
        if self._epoch_began is not None:
            self._training_seconds += time.perf_counter() - self._epoch_began
        if (epoch + 1) % self.every_n_epochs == 0:
            self._run(epoch)

    def on_train_end(self, logs: dict | None = None) -> None:
        try:
            # The last epoch is shown even if the budget skipped it: it is the model fit returns.
            done = self.logged_epochs + self.skipped_epochs
            if self.last_epoch is not None and self.last_epoch not in done:
                if self.last_epoch in self.over_budget_epochs:
                    self.over_budget_epochs.remove(self.last_epoch)
                self._run(self.last_epoch, forced=True)
        finally:
            if self.writer is not None:
                self.writer.close()

    def _over_budget(self):
        if not self.skips_epochs or self.max_overhead is None or not self.seconds:
            return False
        return list(self.seconds.values())[-1] > self.max_overhead * self._training_seconds

    def _run(self, epoch, forced=False):
        # The last epoch is always shown: it is the model fit returns.
        forced = forced or epoch + 1 == self.params.get("epochs")
        if not forced and self._over_budget():
            self.over_budget_epochs.append(epoch)
            self._warn_skip(epoch)
            try:
                self._write_scalars(epoch, skipped=1.0)
            except Exception:  # a full disk must not stop training
                pass
            return
        started = time.perf_counter()
        try:
            with preserved_random_state():
                run_apart(lambda: self._view(epoch))
            seconds = time.perf_counter() - started
            # Writing can fail too (a full disk at the flush): inside the guard.
            self._write_scalars(epoch, seconds=seconds, skipped=0.0)
        except Exception as error:  # a failed view must not end the user's training
            self.skipped_epochs.append(epoch)
            self._failed()
            warnings.warn(
                f"{type(self).__name__}: the {self.name} of epoch {epoch + 1} failed and are "
                f"skipped; training goes on{self.failure_note}. ({type(error).__name__}: {error})",
                RuntimeWarning,
                stacklevel=3,
            )
            return
        self.seconds[epoch] = seconds
        self._training_seconds = 0.0
        self.logged_epochs.append(epoch)

    def _write_scalars(self, epoch, **values):
        """`<key>_seconds` (the view's cost) and `<key>_skipped` (1 where the
        budget skipped the epoch, 0 where the view ran: TensorBoard shows
        plainly which epochs have none), then a flush."""
        descriptions = {
            "seconds": f"Seconds the {self.name} of this epoch took.",
            "skipped": f"1 where max_overhead skipped this epoch's {self.name}, 0 where they ran.",
        }
        if not self.skips_epochs:
            values.pop("skipped", None)
        for name, value in values.items():
            self.writer.scalar(f"{self.key}_{name}", value, step=epoch, description=descriptions[name])
        self.writer.flush()

    def _warn_skip(self, epoch):
        if self._warned_skip:
            return
        self._warned_skip = True
        warnings.warn(
            f"{type(self).__name__}: epoch {epoch + 1} is skipped: the last {self.name} took "
            f"{list(self.seconds.values())[-1]:.2f} s, more than max_overhead={self.max_overhead:g} "
            "of the training time since. Pass less data or fewer targets, every_n_epochs, a larger "
            f"max_overhead, or max_overhead=None. (Warned once; `{self.key}_seconds` logs "
            "each epoch's cost.)",
            RuntimeWarning,
            stacklevel=3,
        )

    def _failed(self):
        """After a failed view: nothing to undo here."""

    def _prepare(self):
        raise NotImplementedError

    def _view(self, epoch):
        raise NotImplementedError
