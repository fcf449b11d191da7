"""`python -m viz "(x + y) ** 2" x=1 y=2 -o chain.svg`: see viz.cli."""
import sys

from .cli import main

sys.exit(main())
