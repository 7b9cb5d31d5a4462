"""Alarm management after ANSI/ISA-18.2-2016, evaluated on the ingest stream. Pure: nothing here does I/O.

    rules       the alarm rules (threshold with deadband, rate of change, state equals, stale data), severity
    lifecycle   the ISA-18.2 states as a transition table (state, event) → next state
    state       samples, ticks, operator actions, the per-rule state (serialisable) and emitted transitions
    conditions  a rule's raw condition from one sample (deadband, rate window), and its default message
    engine      ``AlarmEngine``: rules + samples and ticks → lifecycle transitions, deterministic
    flood       alarm rate and alarm-flood share per operator position in 10-minute windows

See ``docs/alarms.md``.
"""
