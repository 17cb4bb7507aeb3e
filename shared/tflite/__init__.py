"""The static TFLite inspector both roles use: parse, walk and analyse a flatbuffer.

``edgebench model inspect`` on a board and the collector's model store (which checks an
upload before storing it) run this same code, so a model the collector accepts is one
the agent can read, and both report the same ops, inputs, MACs and parameters. The
``tflite`` schema package and numpy are imported where used.
"""
