"""The live terminal: the Rich dashboard (a pure render of a snapshot) and the keyboard reader
that turns key presses into markers and a stop.
"""
