"""Reading the board: procfs/sysfs/vcgencmd readers and the context every probe gets.

The layer below both :mod:`edgebench.agent.samplers` and :mod:`edgebench.agent.power`:
samplers wrap power sources, power sources read files through these readers, and
neither package reaches into the other for them (see the import contracts).
"""
