"""`python -m keras_gans.cli`: the `keras-gans` command."""

import sys

from keras_gans.cli.app import main

if __name__ == "__main__":
    sys.exit(main())
