"""The paper's method, pure: the sliding-window threshold rule that turns per-frame labels into a
representative emotion, the streaming aggregator, and the threshold calibration maths.
"""
