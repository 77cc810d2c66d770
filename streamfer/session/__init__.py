"""Recording one session: the typed log records, the JSONL log writer and reader, and the
lifecycle that opens a source, runs the pipeline frame by frame and closes with one session end.
"""
