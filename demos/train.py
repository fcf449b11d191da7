"""`python -m demos.train`: the same as `python -m demos.train_two_layer_net`."""
from .common import run_script
from .train_two_layer_net import main

if __name__ == "__main__":
    run_script(main)
