"""Protocol connectors: one folder per protocol with the same file names; decoding in pure, fixture-tested modules."""
