"""`VisualizerConfig`: one home for every option, read by the visualizer,
the callbacks, the demo and the command line alike."""

import dataclasses

import numpy as np
import pytest

import keras_featviz
from keras_featviz import cli, defaults
from keras_featviz.callbacks import AttributionCallback, FeatureVisualizationCallback, MemorizationCallback
from keras_featviz.config import VisualizerConfig

from conftest import tiny_classifier

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends

# A value a user might set, for each option, from the option's own field:
# adding an option adds nothing here.
EXAMPLES = {field.name: field.metadata["example"] for field in dataclasses.fields(VisualizerConfig)}


def test_defaults_come_from_the_defaults_module():
    config = VisualizerConfig()
    assert config.generator == defaults.GENERATOR
    assert config.width == defaults.WIDTH
    assert config.seed == defaults.SEED
    assert config.batch_size == defaults.BATCH_SIZE
    assert config.pyramid == defaults.PYRAMID


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_option_reaches_the_visualizer_and_the_callbacks(name):
    value = EXAMPLES[name]
    model = tiny_classifier()
    visualizer = keras_featviz.FeatureVisualizer(model, **{"generator": "scratch", name: value})
    assert getattr(visualizer.config, name) == value
    through_config = keras_featviz.FeatureVisualizer(model, config=visualizer.config)
    assert through_config.config == visualizer.config
    callback = FeatureVisualizationCallback(**{name: value})
    assert getattr(callback.config, name) == value
    watcher = MemorizationCallback(
        (np.zeros((1, 16, 16, 3)), [0]), (np.zeros((1, 16, 16, 3)), [0]), **{name: value}
    )
    assert getattr(watcher.config, name) == value


def test_bad_values_are_refused_when_the_config_is_made():
    with pytest.raises(ValueError) as raised:
        VisualizerConfig(batch_size=0)
    assert str(raised.value) == "`batch_size` must be an integer >= 1. Received: batch_size=0"
    with pytest.raises(ValueError, match=r"`pyramid` must be True or False. Received: pyramid='yes'"):
        VisualizerConfig(pyramid="yes")
    with pytest.raises(ValueError, match=r"`generator` must be one of \['auto', 'scratch'"):
        VisualizerConfig(generator="gan")


def test_unknown_options_name_the_options():
    with pytest.raises(
        TypeError, match=r"Unknown visualizer options \['widht'\]: the options are the fields"
    ):
        keras_featviz.FeatureVisualizer(tiny_classifier(), widht=0.5)
    with pytest.raises(TypeError, match=r"Unknown visualizer options \['widht'\]"):
        FeatureVisualizationCallback(widht=0.5)
    with pytest.raises(TypeError, match=r"`config` must be a VisualizerConfig or None"):
        keras_featviz.FeatureVisualizer(tiny_classifier(), config={"width": 0.5})


def test_a_config_is_frozen_and_replace_checks_again():
    config = VisualizerConfig(seed=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.seed = 2
    assert config.replace(seed=2).seed == 2 and config.seed == 1
    with pytest.raises(ValueError, match="`seed` must be None or an integer"):
        config.replace(seed=-1)


def test_the_callbacks_own_defaults_apply_only_where_nothing_is_named():
    assert FeatureVisualizationCallback().config == VisualizerConfig(
        generator=defaults.CALLBACK_GENERATOR, seed=defaults.CALLBACK_SEED, width=defaults.CALLBACK_WIDTH
    )
    assert FeatureVisualizationCallback(width=0.5, seed=None).config.width == 0.5
    assert FeatureVisualizationCallback(seed=3).config.seed == 3
    assert FeatureVisualizationCallback(generator="fourier").config.width == defaults.WIDTH
    shared = VisualizerConfig(generator="scratch", width=1.0, seed=5)
    assert FeatureVisualizationCallback(config=shared).config == shared


def test_one_config_serves_all_three_callbacks():
    config = VisualizerConfig(preprocess="unit", class_names=["red", "green", "blue"], head="softmax")
    images = np.zeros((2, 16, 16, 3), "float32")
    attribution = AttributionCallback(images, config=config)
    assert attribution.preprocess == "unit" and attribution.class_names == ["red", "green", "blue"]
    assert attribution.attributor_kwargs["head"] == "softmax"
    memorization = MemorizationCallback((images, [0, 1]), (images, [0, 1]), config=config)
    assert memorization.config.preprocess == "unit"
    assert FeatureVisualizationCallback(config=config).config.class_names == ["red", "green", "blue"]


def test_the_command_line_has_a_flag_for_every_option_that_names_one():
    parser = cli.build_parser()
    visualize = parser._subparsers._group_actions[0].choices["visualize"]
    flags = {option for action in visualize._actions for option in action.option_strings}
    for field in dataclasses.fields(VisualizerConfig):
        if field.metadata["flag"] is not None:
            assert field.metadata["flag"] in flags, field.name


def test_the_command_line_defaults_are_the_config_defaults_but_seed_and_devices():
    from keras_featviz.cli.common import config_of

    args = cli.build_parser().parse_args(["visualize", "model.keras"])
    config = config_of(args)
    assert config.replace(seed=defaults.SEED, devices=defaults.DEVICES) == VisualizerConfig()
    assert (config.seed, config.devices) == (defaults.COMMAND_SEED, defaults.CLI_DEVICES)


def test_flags_become_options():
    from keras_featviz.cli.common import config_of

    argv = [
        "visualize",
        "m.keras",
        "--pyramid",
        "false",
        "--penalty",
        "0.5",
        "--memory-gb",
        "2",
    ]
    argv += ["--width", "auto", "--devices", "2", "--colors", "rgb", "--paper-loss"]
    config = config_of(cli.build_parser().parse_args(argv))
    assert config.pyramid is False and config.penalty == 0.5
    assert config.memory_budget == 2 * 2**30 and config.width == "auto" and config.devices == 2
    assert config.colors == "rgb" and config.paper_loss is True


def test_a_bad_flag_is_named_by_the_flag(capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["visualize", "m.keras", "--penalty", "-1"])
    assert (
        "argument --penalty: `--penalty` must be a finite number >= 0 or None. Received: --penalty=-1.0"
        in (capsys.readouterr().err)
    )
