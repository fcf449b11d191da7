"""The lecture's demos (chapter 5): each is `python -m demos.<name>`, with main(argv, out_dir).

`python -m demos.tour` runs the main ones and writes out/index.html showing every figure.
"""
