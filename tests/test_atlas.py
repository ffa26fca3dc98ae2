"""Atlases: every target's PNG, grids and index; chunks that resume after a
kill with the same files; shards and processes that split one atlas."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from PIL import Image

from keras_featviz import FeatureVisualizer, make_atlas

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends

STEPS = 5


def tree(folder):
    """Every file under `folder` and its bytes."""
    found = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, folder)] = handle.read()
    return found


def visualizer_of(model):
    return FeatureVisualizer(model, seed=0)


def test_an_atlas_has_every_target_a_grid_per_section_and_an_index(trained_classifier, tmp_path):
    index = make_atlas(
        visualizer_of(trained_classifier),
        tmp_path,
        classes="all",
        layers=["conv"],
        steps=STEPS,
        chunk_size=3,
        verbose=0,
    )
    targets = index["targets"]
    assert [(t["section"], t["index"]) for t in targets] == [("classes", c) for c in range(3)] + [
        ("conv", c) for c in range(8)
    ]
    assert targets[0]["file"] == "classes/0000_class_0.png" and targets[3]["file"].startswith("conv/0000_")
    for target in targets:
        with Image.open(tmp_path / target["file"]) as picture:
            assert picture.size == (128, 128)  # 16 px enlarged to the 128 px of every PNG
        assert (target["probability"] is None) == (target["section"] != "classes")
    assert index["grids"] == ["classes.png", "conv.png"]
    with Image.open(tmp_path / "conv.png") as grid:
        assert grid.size == (3 * 64, 3 * (64 + 12))  # 8 thumbnails, 3 a row
    assert sorted(os.listdir(tmp_path / "chunks")) == [f"{n:05d}.json" for n in range(4)]
    with open(tmp_path / "index.json") as handle:
        assert json.load(handle) == index


def test_a_second_run_redoes_no_finished_chunk(trained_classifier, tmp_path, capsys):
    visualizer = visualizer_of(trained_classifier)
    make_atlas(visualizer, tmp_path, classes="all", steps=STEPS, chunk_size=2, verbose=1)
    before = tree(tmp_path)
    stamps = {name: os.stat(tmp_path / name).st_mtime_ns for name in before if name.startswith("classes/")}
    calls = []
    visualizer.visualize = lambda *args, **kwargs: calls.append(args)
    make_atlas(visualizer, tmp_path, classes="all", steps=STEPS, chunk_size=2, verbose=1)
    assert calls == []
    assert {name: os.stat(tmp_path / name).st_mtime_ns for name in stamps} == stamps
    assert "this run has 2, 2 done before" in capsys.readouterr().out


def test_shards_split_one_atlas_into_the_same_files(trained_classifier, tmp_path):
    whole, split = tmp_path / "whole", tmp_path / "split"
    options = {"classes": "all", "layers": ["conv"], "steps": STEPS, "chunk_size": 3, "verbose": 0}
    make_atlas(visualizer_of(trained_classifier), whole, **options)
    assert make_atlas(visualizer_of(trained_classifier), split, shard="1/2", **options) is None
    assert not (split / "index.json").exists()
    index = make_atlas(visualizer_of(trained_classifier), split, shard=(0, 2), **options)
    assert len(index["targets"]) == 11
    assert tree(split) == tree(whole)


def test_an_atlas_refuses_other_settings_and_a_folder_of_other_files(trained_classifier, tmp_path):
    visualizer = visualizer_of(trained_classifier)
    make_atlas(visualizer, tmp_path / "atlas", classes=[0, 1], steps=STEPS, verbose=0)
    with pytest.raises(ValueError) as error:
        make_atlas(visualizer, tmp_path / "atlas", classes=[0, 1], steps=STEPS + 1, verbose=0)
    assert "holds an atlas made with another steps" in str(error.value)
    assert str(error.value).endswith(f"Received: steps={STEPS + 1}, the atlas has steps={STEPS}")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="holds other files, which are left alone"):
        make_atlas(visualizer, tmp_path / "mine", classes=[0], steps=STEPS, verbose=0)
    assert os.listdir(tmp_path / "mine") == ["notes.txt"]


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"classes": None}, "An atlas needs classes or layers to visualize"),
        ({"classes": [7]}, "Class index out of range"),
        ({"classes": "all", "layers": ["nope"]}, "nope"),
        ({"classes": "all", "shard": "2/2"}, "Received: shard='2/2'"),
        ({"classes": "all", "chunk_size": 0}, "Received: chunk_size=0"),
    ],
)
def test_bad_atlas_requests_fail_before_any_file(trained_classifier, tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_atlas(visualizer_of(trained_classifier), tmp_path / "atlas", steps=STEPS, verbose=0, **kwargs)
    assert not (tmp_path / "atlas").exists()


def command(model, out, *extra):
    return [sys.executable, "-m", "keras_featviz.cli", "atlas", str(model), "--out", str(out),
            "--steps", "30", "--chunk", "1", "--layers", "conv", *extra]  # fmt: skip


def test_a_killed_atlas_resumes_to_the_same_files(saved_classifier, tmp_path):
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    subprocess.run(command(saved_classifier, whole), env=environment, check=True, capture_output=True)
    process = subprocess.Popen(command(saved_classifier, killed), env=environment, stdout=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (killed / "chunks" / "00001.json").exists() and process.poll() is None:
        assert time.time() < deadline, "no chunk finished in 5 minutes"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = sorted(os.listdir(killed / "chunks"))
    assert "00007.json" not in done and not (killed / "index.json").exists(), "killed too late"
    subprocess.run(command(saved_classifier, killed), env=environment, check=True, capture_output=True)
    assert tree(killed) == tree(whole)


def free_port():
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_two_jax_processes_split_one_atlas_into_the_same_files(saved_classifier, tmp_path):
    """Two processes of one JAX job (keras.distribution.initialize on localhost),
    two simulated devices each, write the files of one process on one device."""
    environment = dict(
        os.environ,
        KERAS_BACKEND="jax",
        TF_CPP_MIN_LOG_LEVEL="3",
        XLA_FLAGS="--xla_force_host_platform_device_count=2",
    )
    whole, split = tmp_path / "whole", tmp_path / "split"
    subprocess.run(
        command(saved_classifier, whole, "--devices", "1"), env=environment, check=True, capture_output=True
    )
    address = f"localhost:{free_port()}"
    processes = [
        subprocess.Popen(
            command(
                saved_classifier,
                split,
                "--devices",
                "1",
                "--coordinator",
                address,
                "--num-processes",
                "2",
                "--process-id",
                str(i),
            ),  # fmt: skip
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=600)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert all("this shard has 4, 0 done before" in output for output in outputs), outputs
    assert tree(split) == tree(whole)


def test_an_atlas_of_several_layers_keeps_one_layers_models_at_a_time(trained_classifier, tmp_path):
    # Each layer gets its own copy of the classifier (528 MB for VGG16):
    # holding every layer's at once would grow with the layers swept.
    visualizer = visualizer_of(trained_classifier)
    index = make_atlas(visualizer, tmp_path, layers=["conv", "predictions"], steps=STEPS, verbose=0)
    assert [t["section"] for t in index["targets"]] == ["conv"] * 8 + ["predictions"] * 3
    assert len(visualizer.trainers) == 1
