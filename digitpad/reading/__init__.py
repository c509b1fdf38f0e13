"""Reading a digit: the honest verdict (a digit, or "not sure" and why), the live reader the
window drives, and the why-views (occlusion saliency, nearest MNIST digits).

Qt-free. ``verdict`` decides; ``live`` asks the models about the drawing as it changes;
``saliency`` and ``neighbours`` explain an answer.
"""
