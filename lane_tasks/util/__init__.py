"""Generic utilities below everything else: subprocesses, clock, durations, signals, signing."""
