"""Training every model family: the fitters, the Keras networks, the helper process the window
trains in, the "is it a 4?" detector and the files built beside the cnn for the why-views.

Importing this package imports neither TensorFlow nor scikit-learn; the fitters do, when called.
``fitting`` fits and saves a family; ``nets`` builds the networks (imports TensorFlow);
``helper`` is the process the window starts (``python -m digitpad.training.helper``);
``is_four`` is the one-neuron detector; ``feature_map`` builds the neighbour index and the map.
"""
