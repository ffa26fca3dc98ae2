"""`keras-featviz atlas`: its flags refused in one line."""

import pytest

from keras_featviz import cli

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_the_cli_refuses_a_bad_shard_in_one_line(capsys):
    assert cli.main(["atlas", "vgg16", "--shard", "3/2"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("keras-featviz atlas: error: `--shard` must be (index, count)")
    assert "\n" not in error


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--coordinator", "localhost:1"], "--coordinator, --num-processes and --process-id go together"),
        (
            ["--coordinator", "localhost:1", "--num-processes", "2", "--process-id", "2"],
            "--process-id must be 0 to 1 (--num-processes 2); got 2",
        ),
    ],
)
def test_the_cli_refuses_a_half_given_process_job_in_one_line(
    saved_classifier, tmp_path, capsys, extra, message
):
    assert cli.main(["atlas", str(saved_classifier), "--out", str(tmp_path / "atlas"), *extra]) == 2
    assert capsys.readouterr().err.strip() == f"keras-featviz atlas: error: {message}"
    assert not (tmp_path / "atlas").exists()
