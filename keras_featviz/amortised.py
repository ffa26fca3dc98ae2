"""`AmortisedVisualizer`: one generator trained on all classes, then any
class's image in one forward pass.

`FeatureVisualizer` optimises each target's image on its own (its own
generator, or its own Fourier image). Here one class-conditional network
(`makers.conditional`) is coupled to the frozen classifier and trained by
Eq. 2 on batches of randomly drawn classes, so what it learns about making
images is shared between the classes. Once trained, every class's image,
and new samples of it from other noise, costs one forward pass: the way to
see all 1,000 classes of an ImageNet model, and to see several samples of
a class rather than one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import keras
import numpy as np

from keras_featviz import defaults, preprocessing
from keras_featviz import objectives as obj
from keras_featviz.config import VisualizerConfig
from keras_featviz.io import imagenet
from keras_featviz.io.results import Visualization
from keras_featviz.makers.conditional import conditional_generator
from keras_featviz.optimization import transforms as transforms_module
from keras_featviz.optimization.coupled import CoupledModel, ReadoutPlan
from keras_featviz.surgery import ClassifierProbe
from keras_featviz.validation import number, positive_int, verbosity
from keras_featviz.visualizer import default_penalty

# The `VisualizerConfig` fields an `AmortisedVisualizer` reads.
CONFIG_USED = (
    "preprocess",
    "penalty",
    "seed",
    "class_names",
    "transforms",
    "head",
    "input_shape",
    "precision",
    "paper_loss",
)
# `fit(verbose=1)` prints a line every this many steps.
PROGRESS_EVERY = 50


def default_steps(num_classes: int, batch_size: int = defaults.AMORTISED_BATCH_SIZE) -> int:
    """`fit`'s steps by default: `defaults.AMORTISED_IMAGES_PER_CLASS` images
    of each of `num_classes` classes, `batch_size` a step."""
    return -(-defaults.AMORTISED_IMAGES_PER_CLASS * num_classes // batch_size)


class AmortisedVisualizer:
    """Images of any class of a classifier from one trained generator.

    Args:
        classifier: A `keras.Model` image classifier; never modified.
        config: A `VisualizerConfig` or `None`; of it, the fields in
            `CONFIG_USED` are used (the generator is this class's own), so
            one configuration can be shared with a `FeatureVisualizer`.
            Defaults to `None`.
        width: Float > 0, the generator's filter multiplier. Defaults to
            `defaults.AMORTISED_WIDTH`.
        noise_size: Int >= 0, the size of the noise that makes samples of
            one class differ. Defaults to `defaults.AMORTISED_NOISE`.
        learning_rate: Float > 0, Adam's. Defaults to
            `defaults.AMORTISED_LEARNING_RATE`.
        **options: Fields of `VisualizerConfig` in `CONFIG_USED`, in
            place of `config`'s.

    Example:

    ```python
    amortised = keras_featviz.AmortisedVisualizer(model, preprocess="unit", seed=0)
    amortised.fit()  # every class, 16 a step, about 750 images of each
    result = amortised.visualize([3, 7])  # one forward pass
    samples = amortised.visualize([3] * 4, samples=True)  # four samples of class 3
    ```

    Raises:
        ValueError: for a bad option, an option this class does not use,
            or a classifier that is not an image classifier.
    """

    def __init__(
        self,
        classifier: keras.Model,
        config: VisualizerConfig | None = None,
        width: float = defaults.AMORTISED_WIDTH,
        noise_size: int = defaults.AMORTISED_NOISE,
        learning_rate: float = defaults.AMORTISED_LEARNING_RATE,
        **options,
    ) -> None:
        unused = sorted(set(options) - set(CONFIG_USED))
        if unused:
            raise ValueError(
                f"AmortisedVisualizer makes its own generator and uses only {list(CONFIG_USED)} of the "
                f"visualizer options. Received: {', '.join(f'{k}={options[k]!r}' for k in unused)}"
            )
        self.config = config = VisualizerConfig.from_options(config, **options)
        self.probe = ClassifierProbe(
            classifier, dtype_policy=config.precision, input_shape=config.input_shape, head=config.head
        )
        self.num_classes = self.probe.num_classes
        self.image_shape = self.probe.input_shape
        self.class_names = imagenet.resolve_names(config.class_names, self.num_classes)
        self.seed = config.seed
        self.noise_size = int(noise_size) if noise_size == 0 else positive_int(noise_size, "noise_size")
        self.learning_rate = number(learning_rate, "learning_rate", minimum=0, inclusive=False)
        penalty = default_penalty(self.num_classes) if config.penalty is None else config.penalty
        transforms = transforms_module.resolve(config.transforms, self.image_shape)
        self.generator = conditional_generator(
            self.image_shape, self.num_classes, width=width, noise_size=self.noise_size, seed=self.seed
        )
        plan = ReadoutPlan([obj.class_(c) for c in range(self.num_classes)], self.probe)
        self._weights, self._others = plan.weights, plan.others
        self.model = CoupledModel(
            self.generator,
            self.probe.model,
            plan,
            preprocessing.get(config.preprocess, self.image_shape[-1]),
            penalty,
            paper_loss=config.paper_loss,
            multilabel=self.probe.head == "multilabel",
            # Compiled with Keras' default, `jit_compile="auto"`.
            transforms=transforms_module.get(
                transforms, self.seed, xla=transforms_module.runs_under_xla("auto")
            ),
            name="amortised",
        )
        self.model.compile(optimizer=keras.optimizers.Adam(self.learning_rate))
        self._rng = np.random.default_rng(self.seed)
        self.steps_trained = 0
        self.seconds_trained = 0.0

    def _inputs(self, classes, rng):
        """The generator's input for `classes`: one-hot codes and noise."""
        one_hot = np.eye(self.num_classes, dtype="float32")[classes]
        noise = rng.standard_normal((len(classes), self.noise_size)).astype("float32")
        return np.concatenate([one_hot, noise], axis=1)

    def _batches(self, classes, batch_size, steps):
        """`steps` batches of `batch_size` classes, each class as often as the others."""
        order = []
        while len(order) < steps * batch_size:
            order.extend(self._rng.permutation(classes).tolist())
        for step in range(steps):
            chosen = np.array(order[step * batch_size : (step + 1) * batch_size])
            y = {"weights": self._weights[chosen], "others": self._others[chosen]}
            yield self._inputs(chosen, self._rng), y

    def fit(
        self,
        steps: int | None = None,
        classes: Sequence[int] | None = None,
        batch_size: int = defaults.AMORTISED_BATCH_SIZE,
        verbose: str | int = "auto",
    ) -> AmortisedVisualizer:
        """Train the generator on `classes` (all by default), a batch of
        classes drawn at random each step; a second call goes on.

        Args:
            steps: Int, optimisation steps, or `None` for
                `default_steps(len(classes), batch_size)`: about
                `defaults.AMORTISED_IMAGES_PER_CLASS` images of each class.
                Defaults to `None`.
            classes: Class indices to learn, or `None` for all. Defaults to
                `None`.
            batch_size: Int, classes per step. Defaults to
                `defaults.AMORTISED_BATCH_SIZE`.
            verbose: As Keras' `fit`. Defaults to `"auto"`.

        Returns:
            This visualizer.

        Raises:
            ValueError: for a bad count or a class out of range.
        """
        batch_size = positive_int(batch_size, "batch_size")
        classes = self._checked_classes(range(self.num_classes) if classes is None else classes)
        steps = default_steps(len(classes), batch_size) if steps is None else positive_int(steps, "steps")
        verbose = verbosity(verbose)
        started = time.perf_counter()
        for x, y in self._batches(classes, batch_size, steps):
            self.model.train_on_batch(x, y)
            self.steps_trained += 1
            if verbose == 1 and self.steps_trained % PROGRESS_EVERY == 0:
                self._report(started)
        self.seconds_trained += time.perf_counter() - started
        if verbose:
            self._report(started)
        return self

    def _report(self, started):
        activation = float(self.model.get_metrics_result()["activation"])
        print(
            f"AmortisedVisualizer: step {self.steps_trained}, mean target activation {activation:.2f}, "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )

    def _checked_classes(self, classes):
        classes = [int(c) for c in classes]
        wrong = [c for c in classes if not 0 <= c < self.num_classes]
        if wrong or not classes:
            raise ValueError(
                f"`classes` must be class indices from 0 to {self.num_classes - 1}. Received: classes={wrong or classes}"
            )
        return classes

    def visualize(
        self, classes: Sequence[int], samples: bool = False, batch_size: int = defaults.AMORTISED_BATCH_SIZE
    ) -> Visualization:
        """Each class's image, in one forward pass of the generator.

        Args:
            classes: Class indices (a class may repeat).
            samples: Bool. `False`: each class's image from the noise of
                the seed's first draw, the same on every call. `True`: new
                noise for each image, so repeats of a class are samples of
                it. Defaults to `False`.
            batch_size: Int, images per forward pass. Defaults to
                `defaults.AMORTISED_BATCH_SIZE`.

        Returns:
            A `Visualization`, as `FeatureVisualizer.visualize` returns.
        """
        classes = self._checked_classes(classes)
        rng = self._rng if samples else np.random.default_rng(self.seed or 0)  # seed checked by the config
        x = self._inputs(np.array(classes), rng)
        if not samples:  # every class from one noise vector: the class alone differs
            x[:, self.num_classes :] = x[:1, self.num_classes :]
        outputs = self.model.predict(x, batch_size=batch_size, verbose=0)
        weights = self._weights[classes]
        activations = np.sum(weights * np.maximum(outputs["readouts"], 0.0), axis=1)
        objectives = [obj.class_(c) for c in classes]
        return Visualization(
            images=np.clip(np.round(outputs["pixels"]), 0, 255).astype("uint8"),
            activations=activations,
            probabilities=self.probe.probabilities(outputs["logits"]),
            names=[o.name for o in objectives],
            labels=[obj.label(o, self.class_names) for o in objectives],
            target_classes=classes,
        )
