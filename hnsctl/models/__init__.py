"""Plain data: the HNS objects as frozen dataclasses, their validators and codecs. No I/O."""
