"""Scoring the method on labelled clips: datasets of labelled clips, per-frame predictions (with
their cache) and the calibration sweep's plot.
"""
