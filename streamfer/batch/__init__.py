"""The local `analyze` engine: one recording analysed to a log (`analysis`), a pool of worker
processes running many of them, and the driver-side manifest and summary.
"""
