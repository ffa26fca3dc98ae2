"""`python -m keras_featviz.cli`: the `keras-featviz` command."""

import sys

from keras_featviz.cli.main import main

sys.exit(main())
