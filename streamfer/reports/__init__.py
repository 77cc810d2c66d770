"""What a finished session log says: per-person statistics, figures (timelines, valence/arousal)
and the HTML report.
"""
