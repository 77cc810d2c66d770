"""What the computer sees in a frame: face detection, crop alignment, the emotion classifier,
the face tracker and the model files (with their descriptions) they load.
"""
