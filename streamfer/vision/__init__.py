"""What the computer sees in a frame: face detection, crop alignment, the emotion classifier,
the face tracker, face geometry (landmarks, blendshapes, head pose: ``geometry.py``) and the
model files (with their descriptions) they load.
"""
