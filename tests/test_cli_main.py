"""The command line's parser and its answer to a mistake: one line, exit status 2, before any long work (`keras_featviz.cli.main`)."""

import pytest

from keras_featviz import cli

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_bad_arguments_give_one_line(capsys):
    assert cli.main(["demo", "--classes", "30"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    with pytest.raises(SystemExit):
        cli.main(["demo", "--steps", "0"])


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
