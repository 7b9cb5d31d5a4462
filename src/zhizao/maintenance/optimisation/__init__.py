"""Performance optimisation of lines and equipment: bottlenecks, throughput gain, energy waste, top OEE losses."""
