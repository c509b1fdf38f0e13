"""Generated drawings for the tests and the benchmarks (never used at run time).

``drawn`` makes digits as a hand would draw them on the canvas, normal and hard; ``scribbles``
makes what is not a digit: letters, signs, objects and scribbles. The window's replay of a
drawing as mouse events is ``digitpad.gui.replay`` (it sends Qt events).
"""
