"""Where frames come from: cameras, video files, network streams and the synthetic demo, read
on a capture thread; plus the list of input files and the helpers that open and hash recordings.
"""
