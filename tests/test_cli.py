"""The command line: the demo runs end to end at a small size; bad input is one line."""

import os
import time

import pytest

from keras_featviz import cli

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_demo_writes_grids_for_both_modes(tmp_path, capsys):
    out = str(tmp_path / "demo")
    code = cli.main(
        [
            "demo",
            "--out",
            out,
            "--size",
            "16",
            "--classes",
            "3",
            "--train",
            "120",
            "--epochs",
            "1",
            "--dae-epochs",
            "1",
            "--steps",
            "2",
        ]
    )
    assert code == 0
    for mode in ("scratch", "pretrained"):
        assert os.path.exists(os.path.join(out, mode, "grid.png"))
        assert len([n for n in os.listdir(os.path.join(out, mode)) if n.endswith(".png")]) == 4
    assert "planted cue" in capsys.readouterr().out


def test_bad_arguments_give_one_line(capsys):
    assert cli.main(["demo", "--classes", "30"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    with pytest.raises(SystemExit):
        cli.main(["demo", "--steps", "0"])


@pytest.fixture
def saved_classifier(trained_classifier, tmp_path):
    path = tmp_path / "tiny.keras"
    trained_classifier.save(path)
    return str(path)


def test_visualize_classes_and_channels_of_a_saved_model(saved_classifier, tmp_path, capsys):
    out, logs = tmp_path / "out", tmp_path / "logs"
    code = cli.main(
        [
            "visualize",
            saved_classifier,
            "--classes",
            "0-1",
            "--layer",
            "conv",
            "--channels",
            "2,5",
            "--steps",
            "5",
            "--width",
            "0.25",
            "--preprocess",
            "none",
            "--out",
            str(out),
            "--logdir",
            str(logs),
            "--precision",
            "mixed_bfloat16",
        ]
    )
    assert code == 0
    assert sorted(n for n in os.listdir(out) if n.endswith(".png")) == [
        "000_class_0.png",
        "001_class_1.png",
        "002_conv-channel_2.png",
        "003_conv-channel_5.png",
        "grid.png",
    ]
    assert os.listdir(logs / "featviz")
    printed = capsys.readouterr().out
    assert "Visualizing 4 targets of 'tiny_cnn'" in printed
    assert f"tensorboard --logdir {logs}" in printed


def test_train_dae_then_visualize_in_pretrained_mode(saved_classifier, patches, tmp_path, capsys):
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    # The user's photos come in any sizes: train-dae crops them.
    for i, image in enumerate(patches[0][:64]):
        size = (16 + i % 5 * 9, 16 + i % 3 * 20)
        Image.fromarray(image).resize(size).save(folder / f"{i}.png")
    decoder = tmp_path / "models" / "dae.keras"
    assert (
        cli.main(
            [
                "train-dae",
                str(folder),
                "--size",
                "16",
                "--epochs",
                "1",
                "--width",
                "0.25",
                "--out",
                str(decoder),
            ]
        )
        == 0
    )
    assert decoder.exists()
    out = tmp_path / "out"
    assert (
        cli.main(
            [
                "visualize",
                saved_classifier,
                "--mode",
                "pretrained",
                "--decoder",
                str(decoder),
                "--steps",
                "3",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert len([name for name in os.listdir(out) if name.endswith(".png")]) == 4
    printed = capsys.readouterr().out
    assert "random 16x16 crops and mirror images of 64 images" in printed
    # Read at most twice the crop side on the shorter side (memory bound).
    assert "(shorter sides 16-32 px)" in printed


def test_unwritable_outputs_are_refused_before_any_work(saved_classifier, tmp_path, capsys, monkeypatch):
    from PIL import Image

    monkeypatch.chdir(tmp_path)  # where the default --out would go

    folder = tmp_path / "images"
    folder.mkdir()
    Image.new("RGB", (20, 20)).save(folder / "a.png")
    taken = tmp_path / "taken"
    taken.write_text("a file the user owns")
    cases = [
        (
            ["train-dae", str(folder), "--out", str(tmp_path / "dae.h5")],
            f"error: `--out` must name a .keras file. Received: --out='{tmp_path / 'dae.h5'}'",
        ),
        (
            ["train-dae", str(folder), "--out", str(taken / "dae.keras")],
            f"error: Cannot write files in '{taken}'",
        ),
        (["visualize", saved_classifier, "--out", str(taken)], f"error: Cannot write files in '{taken}'"),
        (["visualize", saved_classifier, "--logdir", str(taken)], f"error: Cannot write files in '{taken}'"),
    ]
    for argv, message in cases:
        started = time.perf_counter()
        assert cli.main(argv) == 2
        assert time.perf_counter() - started < 5, argv
        assert message in capsys.readouterr().err, argv
    assert taken.read_text() == "a file the user owns"
    # A refused run leaves nothing behind, not even the default --out folder.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images", "taken", "tiny.keras"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["visualize", "vgg17"],
            "keras-featviz visualize: error: unknown model 'vgg17': give a saved .keras file or one of vgg16,",
        ),
        (["visualize", "missing.keras"], "keras-featviz visualize: error: no model file at 'missing.keras'"),
        (
            ["visualize", "{model}", "--classes", "2-x"],
            "keras-featviz visualize: error: --classes takes indices and ranges like 0-9,15; got '2-x'",
        ),
        (
            ["visualize", "{model}", "--classes", "3"],
            "keras-featviz visualize: error: --classes: the model has 3 classes (0-2); got 3",
        ),
        (
            ["visualize", "{model}", "--layer", "conv", "--channels", "0-8"],
            "keras-featviz visualize: error: --channels: layer 'conv' has 8 channels (0-7); got 8",
        ),
        (
            ["visualize", "{model}", "--layer", "conf"],
            "keras-featviz visualize: error: --layer: No layer named 'conf' in the classifier 'tiny_cnn'. Close names: ['conv'].",
        ),
        (
            ["visualize", "{model}", "--mode", "pretrained", "--decoder", "nope.keras"],
            "keras-featviz visualize: error: No decoder file at 'nope.keras'. Received: decoder='nope.keras'",
        ),
        (
            ["visualize", "{model}", "--mode", "pretrained"],
            "keras-featviz visualize: error: generator='pretrained' needs a `decoder`",
        ),
        (
            ["train-dae", "no_such_folder"],
            "keras-featviz train-dae: error: no image folder at 'no_such_folder'",
        ),
        (
            ["attribute", "{model}", "no_such_folder"],
            "keras-featviz attribute: error: no image folder or .npy file at 'no_such_folder' (IMAGES)",
        ),
        (
            ["examples", "no_such_model.keras", "no_such_folder"],
            "keras-featviz examples: error: no model file at 'no_such_model.keras'",
        ),
        (
            ["examples", "{model}", "{data}", "--class-names", "{latin1}"],
            "keras-featviz examples: error: --class-names '{latin1}' is not UTF-8 text",
        ),
        (
            ["examples", "{model}", "{data}", "--class-names", "{names}", "--classes", "red,bleu"],
            "keras-featviz examples: error: --classes takes indices and ranges like 0-9,15 ('bleu' is no "
            "class name; close ones: blue)",
        ),
        (
            ["attribute", "{model}", "{data}", "--methods", "saliency,lime"],
            "keras-featviz attribute: error: --methods: `methods` must be one or more of",
        ),
        (
            ["examples", "{model}", "{data}", "--classes", "0,3"],
            "keras-featviz examples: error: --classes: the model has 3 classes (0-2); got 3",
        ),
        (
            ["examples", "{model}", "{data}", "--layer", "conf"],
            "keras-featviz examples: error: --layer: No layer named 'conf' in the classifier 'tiny_cnn'.",
        ),
    ],
)
def test_commands_answer_bad_input_with_one_line(saved_classifier, capsys, tmp_path, argv, message):
    (tmp_path / "names.txt").write_text("red\ngreen\nblue\n")
    (tmp_path / "latin1.txt").write_bytes("rouge\nvert\nbleu\xe9\n".encode("latin-1"))
    fill = {
        "{model}": saved_classifier,
        "{data}": str(tmp_path),
        "{names}": str(tmp_path / "names.txt"),
        "{latin1}": str(tmp_path / "latin1.txt"),
    }
    argv = [fill.get(a, a) for a in argv]
    for key, value in fill.items():
        message = message.replace(key, value)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message), err
    assert err.count("\n") == 1


def test_numbers_are_checked_by_the_library_rule(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["visualize", "vgg16", "--width", "0"])
    assert stopped.value.code == 2
    assert (
        "error: argument --width: `--width` must be a number in (0, 4]. Received: --width=0.0"
        in capsys.readouterr().err
    )


def test_vgg16_without_weights_is_a_valid_model():
    model, preprocess = cli.load_classifier("vgg16", "none")
    assert model.output_shape == (None, 1000) and preprocess == "vgg16"


def test_generator_choices_match_the_library():
    from keras_featviz.generator_source import CHOICES

    assert cli.GENERATORS == CHOICES


def test_attribution_methods_match_the_library():
    from keras_featviz.attribution import METHODS

    assert cli.ATTRIBUTION_METHODS == METHODS


def _image_folder(images, folder):
    from PIL import Image

    folder.mkdir()
    for i, image in enumerate(images):
        Image.fromarray(image).resize((40, 32)).save(folder / f"{i:02d}.png")  # another size and aspect
    return str(folder)


def test_attribute_writes_a_sheet_a_row_per_image(saved_classifier, patches, tmp_path, capsys):
    folder = _image_folder(patches[0][:3], tmp_path / "images")
    out = tmp_path / "maps"
    code = cli.main(
        ["attribute", saved_classifier, folder, "--methods", "saliency,grad_cam", "--out", str(out)]
    )
    assert code == 0
    assert os.listdir(out) == ["attribution.png"]
    from PIL import Image

    # 3 rows (a title, the 128 px tiles, captions), 3 tiles each: the image and two maps.
    # A row per image (title, tiles, captions), then the heat map's key.
    assert Image.open(out / "attribution.png").size == (3 * 128, 3 * (14 + 128 + 14) + 14)
    assert "3 images in" in capsys.readouterr().out


def test_examples_writes_a_row_per_target(saved_classifier, patches, tmp_path, capsys):
    import numpy as np

    data = tmp_path / "data.npy"
    np.save(data, patches[0][:60])
    out = tmp_path / "found"
    code = cli.main(["examples", saved_classifier, str(data), "--k", "4", "--out", str(out)])
    assert code == 0
    from PIL import Image

    assert Image.open(out / "examples.png").size == (4 * 128, 3 * (14 + 128 + 14))
    assert "3 targets in" in capsys.readouterr().out


def test_layers_lists_targetable_layers(saved_classifier, capsys):
    assert cli.main(["layers", saved_classifier]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["layer", "output", "channels", "activation"]
    conv = next(line for line in out.splitlines() if line.startswith("conv "))
    assert conv.split() == ["conv", "14x14x8", "8", "relu"]


def test_a_logged_run_prints_only_its_own_lines(saved_classifier, tmp_path):
    """As in a CI log: no TensorFlow C++ lines on stderr, no progress-bar codes."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    argv = ["visualize", saved_classifier, "--steps", "2", "--out", str(tmp_path / "out")]
    argv += ["--logdir", str(tmp_path / "logs")]
    run = subprocess.run(
        [sys.executable, "-m", "keras_featviz.cli", *argv], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert "\x1b[" not in run.stdout and "\r" not in run.stdout
    assert "Under each image: p = the classifier's probability of the target class" in run.stdout


def test_examples_take_class_names_in_classes(saved_classifier, patches, tmp_path, capsys):
    import numpy as np

    data = tmp_path / "data.npy"
    np.save(data, patches[0][:30])
    names = tmp_path / "names.txt"
    names.write_text("red\ngreen\nblue\n")
    argv = ["examples", saved_classifier, str(data), "--class-names", str(names), "--classes", "blue,red"]
    assert cli.main([*argv, "--k", "2", "--out", str(tmp_path / "found")]) == 0
    assert "2 targets in" in capsys.readouterr().out


def test_a_missing_path_is_told_before_keras_is_imported(tmp_path):
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from keras_featviz import cli\n"
        f"code = cli.main(['attribute', 'vgg16', {str(tmp_path / 'nowhere')!r}])\n"
        "assert code == 2 and 'keras' not in sys.modules, sorted(m for m in sys.modules if 'keras' in m)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "no image folder or .npy file at" in done.stderr


def test_raw_pixels_to_a_model_that_does_not_rescale_them_get_a_note(patches, tmp_path, capsys):
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)
    bare = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Conv2D(4, 3),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3),
        ]
    )
    path = str(tmp_path / "bare.keras")
    bare.save(path)
    data = tmp_path / "data.npy"
    np.save(data, patches[0][:10])
    assert cli.main(["examples", path, str(data), "--k", "2", "--out", str(tmp_path / "a")]) == 0
    assert "note: the images go to the model as 0-255 pixels" in capsys.readouterr().err
    argv = ["examples", path, str(data), "--k", "2", "--preprocess", "unit", "--out", str(tmp_path / "b")]
    assert cli.main(argv) == 0
    assert "note:" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["demo", "--size", "4"], "argument --size: must be an image side from 8 to 1024; got '4'"),
        (["train-dae", ".", "--size", "100000"], "argument --size: must be a side like 64 or HxW like 64x48"),
    ],
)
def test_sizes_that_cannot_run_are_refused_by_argparse(capsys, argv, message):
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_npy_data_and_a_file_as_demo_out_get_one_line(saved_classifier, tmp_path, capsys):
    import numpy as np

    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((2, 8, 8, 3), "float32"))
    objects = tmp_path / "objects.npy"
    np.save(objects, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    corrupt = tmp_path / "corrupt.npy"
    corrupt.write_bytes(b"\x93NUMPY garbage")
    taken = tmp_path / "taken"
    taken.write_text("the user's file")
    cases = [
        (["examples", saved_classifier, str(wrong)], "must hold images (N, 16, 16, 3) of numbers"),
        (["attribute", saved_classifier, str(objects)], "cannot read"),
        (["examples", saved_classifier, str(corrupt)], "cannot read"),
        (["demo", "--out", str(taken)], "--out"),
    ]
    for argv, message in cases:
        assert cli.main([*argv, *([] if argv[0] == "demo" else ["--out", str(tmp_path / "o")])]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert taken.read_text() == "the user's file"
